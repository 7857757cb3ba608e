"""Pages des comptes : administrateurs seulement (examens.voir_tout), 403 en français pour les autres.

Vues minces : les écritures et leur journal sont dans examens/comptes/services.py.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from examens import journal_lisible
from examens.comptes import services
from examens.comptes.forms import CompteForm, CreationCompteForm, FiltreComptesForm, MotDePasseForm

ADMIN = "examens.voir_tout"

# Colonnes triables : paramètre « tri » (préfixe « - » pour l'ordre décroissant) → champs du tri ; l'identifiant
# départage. « Jamais connecté » vient en dernier dans les deux sens.
TRIS = {
    "identifiant": ("username",),
    "nom": ("last_name", "first_name"),
    "email": ("email",),
    "connexion": ("last_login",),
    "actif": ("is_active",),
}


def _url_base(request) -> str:
    return request.build_absolute_uri("/")


def _ordre(tri: str) -> list:
    descendant = tri.startswith("-")
    champs = TRIS.get(tri.lstrip("-"), TRIS["nom"])
    ordre = [F(c).desc(nulls_last=True) if descendant else F(c).asc(nulls_last=True) for c in champs]
    return ordre if champs == ("username",) else [*ordre, "username"]


@permission_required(ADMIN, raise_exception=True)
def liste(request):
    filtre = FiltreComptesForm(request.GET)
    qs = get_user_model().objects.all()
    actifs = {}
    if filtre.is_valid():
        d = filtre.cleaned_data
        if d["q"]:
            q = d["q"].strip()
            qs = qs.filter(
                Q(username__icontains=q)
                | Q(first_name__icontains=q)
                | Q(last_name__icontains=q)
                | Q(email__icontains=q)
            )
        if d["role"] == "aucun":
            qs = qs.exclude(groups__name__in=services.roles())
        elif d["role"]:
            qs = qs.filter(groups__name=d["role"])
        if d["actif"]:
            qs = qs.filter(is_active=d["actif"] == "oui")
        actifs = {k: v for k, v in d.items() if v}
    tri = request.GET.get("tri", "nom")
    if tri.lstrip("-") not in TRIS:
        tri = "nom"
    qs = qs.order_by(*_ordre(tri)).prefetch_related("groups", *(p.relation for p in services.PERIMETRES))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    lignes = []
    for compte in page:
        noms = [g.name for g in compte.groups.all() if g.name in services.roles()]
        resume = [p.resume(list(getattr(compte, p.relation).all())) for p in services.PERIMETRES]
        lignes.append(
            {
                "compte": compte,
                "roles": ", ".join(services.libelle_role(r) for r in sorted(noms)) or "—",
                "perimetre": " ; ".join(r for r in resume if r) or "—",
            }
        )
    parametres = request.GET.copy()
    parametres.pop("page", None)
    sans_tri = parametres.copy()
    sans_tri.pop("tri", None)
    return render(
        request,
        "examens/comptes/liste.html",
        {
            "filtre": filtre,
            "page": page,
            "lignes": lignes,
            "tri": tri,
            "actifs": actifs,
            "parametres": sans_tri.urlencode(),
            "colonnes": [
                ("identifiant", "Identifiant"),
                ("nom", "Nom"),
                (None, "Rôles"),
                (None, "Périmètre"),
                ("email", "Adresse électronique"),
                ("connexion", "Dernière connexion"),
                ("actif", "Actif"),
            ],
        },
    )


@permission_required(ADMIN, raise_exception=True)
def creer(request):
    form = CreationCompteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            compte = services.creer_compte(
                auteur=request.user,
                identifiant=form.cleaned_data["identifiant"],
                mot_de_passe=form.cleaned_data["mot_de_passe"],
                url_lien=_url_base(request) if form.cleaned_data["envoyer_lien"] else None,
                **form.donnees(),
            )
        except services.CompteRefuse as e:
            form.add_error(e.champ, str(e))
        else:
            message = f"Compte « {compte.username} » créé."
            if form.cleaned_data["envoyer_lien"]:
                message += f" Un lien pour choisir son mot de passe a été envoyé à {compte.email}."
            messages.success(request, message)
            return redirect("comptes:compte", pk=compte.pk)
    return render(request, "examens/comptes/formulaire.html", {"form": form, "compte": None})


def _compte(pk):
    return get_object_or_404(get_user_model(), pk=pk)


@permission_required(ADMIN, raise_exception=True)
def compte(request, pk, form_mot_de_passe=None, statut=200):
    compte = _compte(pk)
    entrees = list(services.historique(compte)[:200])
    return render(
        request,
        "examens/comptes/compte.html",
        {
            "compte": compte,
            "roles": [services.libelle_role(r) for r in services.etat(compte)["roles"]],
            "perimetres": [(p, [p.texte(o) for o in p.objets(compte)]) for p in services.PERIMETRES],
            "historique": journal_lisible.lisibles(entrees, None),
            "form_mot_de_passe": form_mot_de_passe or MotDePasseForm(),
            "moi": compte.pk == request.user.pk,
        },
        status=statut,
    )


@permission_required(ADMIN, raise_exception=True)
def modifier(request, pk):
    cible = _compte(pk)
    form = CompteForm(request.POST or None, compte=cible)
    if request.method == "POST" and form.is_valid():
        try:
            services.modifier_compte(auteur=request.user, compte=cible, **form.donnees())
        except services.CompteRefuse as e:
            form.add_error(e.champ, str(e))
        else:
            messages.success(request, f"Compte « {cible.username} » enregistré.")
            return redirect("comptes:compte", pk=cible.pk)
    return render(request, "examens/comptes/formulaire.html", {"form": form, "compte": cible})


@require_POST
@permission_required(ADMIN, raise_exception=True)
def activer(request, pk):
    cible = _compte(pk)
    actif = request.POST.get("actif") == "1"
    try:
        services.changer_activation(auteur=request.user, compte=cible, actif=actif)
    except services.CompteRefuse as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Compte « {cible.username} » {'réactivé' if actif else 'désactivé'}.")
    return redirect("comptes:compte", pk=cible.pk)


@require_POST
@permission_required(ADMIN, raise_exception=True)
def lien(request, pk):
    cible = _compte(pk)
    try:
        services.envoyer_lien(auteur=request.user, compte=cible, url_base=_url_base(request))
    except services.CompteRefuse as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Lien pour choisir son mot de passe envoyé à {cible.email}.")
    return redirect("comptes:compte", pk=cible.pk)


@require_POST
@permission_required(ADMIN, raise_exception=True)
def mot_de_passe(request, pk):
    cible = _compte(pk)
    form = MotDePasseForm(request.POST)
    if form.is_valid():
        try:
            services.definir_mot_de_passe(
                auteur=request.user, compte=cible, mot_de_passe=form.cleaned_data["mot_de_passe"]
            )
        except services.CompteRefuse as e:
            form.add_error(e.champ, str(e))
        else:
            messages.success(request, f"Mot de passe de « {cible.username} » défini.")
            return redirect("comptes:compte", pk=cible.pk)
    return compte(request, pk, form_mot_de_passe=form, statut=200)


class ChoisirMotDePasse(auth_views.PasswordResetConfirmView):
    """Le lien reçu par courriel : sans connexion (Django marque la vue login_not_required), le titulaire choisit
    son mot de passe, soumis aux règles de AUTH_PASSWORD_VALIDATORS, puis se connecte."""

    template_name = "examens/comptes/choisir_mot_de_passe.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        reponse = super().form_valid(form)
        services.noter_mot_de_passe_choisi(form.user)
        messages.success(self.request, "Votre mot de passe est enregistré : connectez-vous.")
        return reponse
