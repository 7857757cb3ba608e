"""Documents PDF : grilles, relevés, procès-verbaux, exports par lots."""

urlpatterns = []
