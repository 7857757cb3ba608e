from django.urls import path

from examens import views

urlpatterns = [
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/<int:annee>/", views.session, name="session"),
    path("sessions/<int:annee>/candidats/", views.candidats, name="candidats"),
    path("sessions/<int:annee>/candidats/nouveau/", views.candidat_creer, name="candidat-creer"),
    path("sessions/<int:annee>/notes/<str:unite>/", views.saisie_notes, name="saisie-notes"),
    path("sessions/<int:annee>/deliberation/", views.deliberation, name="deliberation"),
    path("sessions/<int:annee>/deliberation/calculer/", views.deliberer, name="deliberer"),
    path("sessions/<int:annee>/deliberation/verrouiller/", views.verrouiller, name="verrouiller"),
    path("sessions/<int:annee>/deliberation/deverrouiller/", views.deverrouiller, name="deverrouiller"),
    path("sessions/<int:annee>/resultats.<str:format>", views.export_resultats, name="export-resultats"),
    path("sessions/<int:annee>/proces-verbal/", views.proces_verbal, name="proces-verbal"),
    path("sessions/<int:annee>/journal/", views.journal, name="journal"),
    path("sessions/<int:annee>/importer/", views.importer, name="importer"),
    path(
        "sessions/<int:annee>/importer/modele-<slug:sorte>.<slug:extension>",
        views.importer_modele,
        name="importer-modele",
    ),
    path("sessions/<int:annee>/importer/<str:jeton>/confirmer/", views.importer_confirmer, name="importer-confirmer"),
    path("divisions/<int:pk>/", views.division, name="division"),
    path("candidats/<int:pk>/", views.candidat, name="candidat"),
    path("candidats/<int:pk>/modifier/", views.candidat_modifier, name="candidat-modifier"),
    path("candidats/<int:pk>/notes/<str:unite>/", views.note_enregistrer, name="note-enregistrer"),
    path("candidats/<int:pk>/jury/note/", views.jury_note, name="jury-note"),
    path("candidats/<int:pk>/jury/points/", views.jury_points, name="jury-points"),
    path("candidats/<int:pk>/jury/lever-nv/", views.jury_lever_nv, name="jury-lever-nv"),
    path("candidats/<int:pk>/controle/", views.controle_choix, name="controle-choix"),
    path("candidats/<int:pk>/releve/", views.releve, name="releve"),
]
