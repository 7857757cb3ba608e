from django.urls import path

from examens.jurys import views

urlpatterns = [
    path("sessions/<int:annee>/jurys/", views.jurys, name="jurys"),
    path("sessions/<int:annee>/jurys/nouveau/", views.jury_creer, name="jury-creer"),
    path("jurys/<int:pk>/modifier/", views.jury_modifier, name="jury-modifier"),
    path("jurys/<int:pk>/verrouiller/", views.jury_verrouiller, name="jury-verrouiller"),
    path("jurys/<int:pk>/deverrouiller/", views.jury_deverrouiller, name="jury-deverrouiller"),
    path("jurys/<int:pk>/valider-pv/", views.jury_valider_pv, name="jury-valider-pv"),
]
