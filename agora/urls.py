from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from agora import views

urlpatterns = [
    path("", include("examens.urls_accueil")),
    path("connexion/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/", views.ChangerMotDePasse.as_view(), name="mot-de-passe"),
    path("referentiel/", include("referentiel.urls")),
    path("examens/", include("examens.urls")),
    path("pfmp/", include("pfmp.urls")),
    path("comptes/", include("examens.comptes.urls")),
    path("admin/", admin.site.urls),
    # Les navigateurs demandent /favicon.ico d'office (pages hors gabarit, PDF) : vers l'icône SVG, sans connexion.
    path("favicon.ico", login_not_required(RedirectView.as_view(url=static("favicon.svg"), permanent=True))),
]
