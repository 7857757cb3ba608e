"""Échéances de saisie, réouvertures et propositions d'une session."""

from django.urls import path

from examens.echeances import views as v

BASE = "sessions/<int:annee>/"

urlpatterns = [
    path(BASE + "echeances/", v.echeances, name="echeances"),
    path(BASE + "echeances/nouvelle/", v.echeance_creer, name="echeance-creer"),
    path(BASE + "echeances/<int:pk>/", v.echeance_modifier, name="echeance-modifier"),
    path(BASE + "reouvertures/nouvelle/", v.reouverture_creer, name="reouverture-creer"),
    path(BASE + "reouvertures/<int:pk>/", v.reouverture_modifier, name="reouverture-modifier"),
    path(BASE + "propositions/", v.propositions, name="propositions"),
    path(BASE + "propositions/<int:pk>/valider/", v.proposition_valider, name="proposition-valider"),
    path(BASE + "propositions/<int:pk>/refuser/", v.proposition_refuser, name="proposition-refuser"),
]
