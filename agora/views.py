"""Pages du compte, communes à toutes les applications."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy


class ChangerMotDePasse(auth_views.PasswordChangeView):
    """Chacun change son propre mot de passe : l'ancien, puis deux fois le nouveau, soumis aux mêmes règles
    (AUTH_PASSWORD_VALIDATORS) ; la session reste ouverte, les autres sessions du compte sont fermées."""

    template_name = "registration/mot_de_passe.html"
    success_url = reverse_lazy("accueil")

    def form_valid(self, form):
        reponse = super().form_valid(form)
        messages.success(self.request, "Votre mot de passe a été changé.")
        return reponse
