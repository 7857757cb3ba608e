from django.urls import path

from pfmp import views

app_name = "pfmp"
urlpatterns = [
    path("", views.index, name="index"),
    path("sessions/<int:annee>/", views.tableau, name="tableau"),
    path("sessions/<int:annee>/synchroniser/", views.synchroniser, name="synchroniser"),
    path("candidats/<int:pk>/", views.candidat, name="candidat"),
    path("candidats/<int:pk>/periodes/ajouter/", views.periode_ajouter, name="periode-ajouter"),
    path("candidats/<int:pk>/certificats/ajouter/", views.certificat_ajouter, name="certificat-ajouter"),
    path("candidats/<int:pk>/voie/", views.dossier, name="dossier"),
    path("candidats/<int:pk>/document-de-liaison/", views.document_liaison, name="document-liaison"),
    path("periodes/<int:pk>/attestation/", views.attestation_saisir, name="attestation-saisir"),
    path("periodes/<int:pk>/convention/", views.convention, name="convention"),
    path("periodes/<int:pk>/supprimer/", views.periode_supprimer, name="periode-supprimer"),
    path("periodes/<int:pk>/evaluation/", views.evaluation, name="evaluation"),
    path("periodes/<int:pk>/evaluation/imprimer/", views.evaluation_imprimer, name="evaluation-imprimer"),
    path("periodes/<int:pk>/lien-tuteur/", views.lien_tuteur, name="lien-tuteur"),
    path("liens-tuteur/<int:pk>/revoquer/", views.lien_revoquer, name="lien-revoquer"),
    path("tuteur/<str:jeton>/", views.tuteur, name="tuteur"),
    path("attestations/<int:pk>/", views.attestation, name="attestation"),
    path("attestations/<int:pk>/signee.pdf", views.signature_pdf, name="signature-pdf"),
    path("certificats/<int:pk>/supprimer/", views.certificat_supprimer, name="certificat-supprimer"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/ajouter/", views.organisation_ajouter, name="organisation-ajouter"),
]
