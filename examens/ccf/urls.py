"""Grilles d'évaluation CCF (enseignants, commissions)."""

from django.urls import path

from examens.ccf import views as v

GRILLE = "grilles/commissions/<int:pk>/candidats/<int:candidat>/situations/<int:situation>/"

urlpatterns = [
    path("grilles/commissions/", v.commissions, name="commissions"),
    path("grilles/commissions/nouvelle/", v.commission_creer, name="commission-creer"),
    path("grilles/commissions/<int:pk>/", v.commission, name="commission"),
    path("grilles/commissions/<int:pk>/modifier/", v.commission_modifier, name="commission-modifier"),
    path(GRILLE, v.grille, name="grille"),
    path(GRILLE + "enregistrer/", v.grille_enregistrer, name="grille-enregistrer"),
    path(GRILLE + "confirmer/", v.grille_confirmer, name="grille-confirmer"),
    path(GRILLE + "rouvrir/", v.grille_rouvrir, name="grille-rouvrir"),
    path(GRILLE + "transmettre/", v.grille_transmettre, name="grille-transmettre"),
    path(GRILLE + "renvoyer/", v.grille_renvoyer, name="grille-renvoyer"),
    path(GRILLE + "arreter/", v.grille_arreter, name="grille-arreter"),
    path(GRILLE + "suivante/", v.grille_suivante, name="grille-suivante"),
]
