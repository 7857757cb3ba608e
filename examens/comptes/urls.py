"""Comptes, rôles et périmètres (administrateurs) ; le lien pour choisir son mot de passe (sans connexion)."""

from django.urls import path

from examens.comptes import views as v

app_name = "comptes"

urlpatterns = [
    path("", v.liste, name="liste"),
    path("nouveau/", v.creer, name="creer"),
    path("<int:pk>/", v.compte, name="compte"),
    path("<int:pk>/modifier/", v.modifier, name="modifier"),
    path("<int:pk>/activation/", v.activer, name="activer"),
    path("<int:pk>/lien/", v.lien, name="lien"),
    path("<int:pk>/mot-de-passe/", v.mot_de_passe, name="mot-de-passe"),
    path("mot-de-passe/<uidb64>/<token>/", v.ChoisirMotDePasse.as_view(), name="reinitialiser"),
]
