"""Organisation du CCF : situations, passages, présence, convocations, émargement, calendrier."""

from django.urls import path

from examens.organisation import views as v

BASE = "grilles/commissions/<int:pk>/organisation/"

urlpatterns = [
    path(BASE, v.organisation, name="organisation"),
    path(BASE + "planifier/", v.planifier, name="organisation-planifier"),
    path(BASE + "passages/<int:passage>/deplacer/", v.deplacer, name="organisation-deplacer"),
    path(BASE + "passages/<int:passage>/presence/", v.presence, name="organisation-presence"),
    path(BASE + "passages/<int:passage>/convocation.pdf", v.convocation, name="organisation-convocation"),
    path(BASE + "divisions/<int:division>/convocations.pdf", v.convocations_division, name="organisation-convocations"),
    path(BASE + "situations/<int:situation>/emargement.pdf", v.emargement, name="organisation-emargement"),
    path(BASE + "candidats/<int:candidat>/amenagements/", v.amenagement, name="organisation-amenagement"),
    path(BASE + "candidats/<int:candidat>/conformite/", v.conformite, name="organisation-conformite"),
    path(BASE + "passages/<int:passage>/productions/", v.production_deposer, name="organisation-production-deposer"),
    path(BASE + "productions/<int:production>/", v.production, name="organisation-production"),
    path("grilles/organisation/", v.tableau_de_bord, name="organisation-tableau"),
    path("grilles/calendrier/", v.calendrier, name="calendrier-ccf"),
    path("grilles/calendrier/ccf.ics", v.calendrier_ics, name="calendrier-ccf-ics"),
]
