app_name = "pfmp"
urlpatterns = []
