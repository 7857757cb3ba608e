from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from agora import views

urlpatterns = [
    path("", views.accueil, name="accueil"),
    path("connexion/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/", views.ChangerMotDePasse.as_view(), name="mot-de-passe"),
    path("referentiel/", include("referentiel.urls")),
    path("examens/", include("examens.urls")),
    path("pfmp/", include("pfmp.urls")),
    path("admin/", admin.site.urls),
]
