from django.urls import path

from examens import views_jury

urlpatterns = [
    path(
        "sessions/<int:annee>/deliberation/candidats/<int:pk>/simulateur/",
        views_jury.simulateur,
        name="simulateur",
    ),
    path("sessions/<int:annee>/deliberation/candidats/<int:pk>/trace/", views_jury.trace, name="trace"),
    path("sessions/<int:annee>/deliberation/harmonisation/", views_jury.harmonisation, name="harmonisation"),
]
