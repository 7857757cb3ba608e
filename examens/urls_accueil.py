from django.urls import path

from examens.views_accueil import accueil

urlpatterns = [path("", accueil, name="accueil")]
