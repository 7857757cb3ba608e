from django.urls import path

from examens import views

urlpatterns = [
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/<int:annee>/", views.session, name="session"),
    path("divisions/<int:pk>/", views.division, name="division"),
]
