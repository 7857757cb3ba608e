"""Documents PDF : grilles, relevés, procès-verbaux, exports par lots."""

from django.urls import path

from examens.documents import views as v

GRILLE = "grilles/commissions/<int:pk>/candidats/<int:candidat>/situations/<int:situation>/"

urlpatterns = [
    path(GRILLE + "grille.pdf", v.grille_pdf, name="grille-pdf"),
    path("candidats/<int:pk>/releve.pdf", v.releve_pdf, name="releve-pdf"),
    path("candidats/<int:pk>/releve/documents/", v.releve_documents, name="releve-documents"),
    path("sessions/<int:annee>/proces-verbal.pdf", v.proces_verbal_pdf, name="proces-verbal-pdf"),
    path("sessions/<int:annee>/proces-verbal/documents/", v.proces_verbal_documents, name="proces-verbal-documents"),
    path("documents/<int:pk>.pdf", v.document_pdf, name="document-pdf"),
    path("sessions/<int:annee>/exports/", v.exports, name="exports"),
    path("exports/<int:pk>/", v.export, name="export"),
    path("exports/<int:pk>/documents.zip", v.export_zip, name="export-zip"),
    path("exports/<int:pk>/documents.pdf", v.export_fusion, name="export-fusion"),
    path("exports/<int:pk>/relancer/", v.export_relancer, name="export-relancer"),
]
