"""Pages des échéances de saisie : la liste d'une session, fixer ou modifier une échéance, rouvrir, et les
propositions à valider. Vues minces : les écritures sont dans examens/echeances/services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from examens import perimetre
from examens.echeances import services
from examens.echeances.forms import EcheanceForm, RefusForm, ReouvertureForm
from examens.echeances.models import Echeance, PropositionNote, Reouverture
from examens.models import Session
from examens.services import OperationRefusee

GERER = "examens.gerer_echeances"


def _session(annee: int) -> Session:
    return get_object_or_404(Session.objects.select_related("reglement"), annee=annee)


@permission_required("examens.change_note", raise_exception=True)
def echeances(request, annee):
    """Ce qui est fermé et rouvert : lu par ceux qui saisissent, modifié par la division des examens."""
    session = _session(annee)
    etablissements = services.etablissements_lus(request.user)
    reouvertures = Reouverture.objects.filter(session=session)
    if etablissements is not None:
        # Hors de la division des examens : les réouvertures de ses établissements, et celles qui le nomment.
        reouvertures = reouvertures.filter(
            Q(etablissement_id__in=etablissements) | Q(beneficiaires=request.user)
        ).distinct()
    return render(
        request,
        "examens/echeances/liste.html",
        {
            "session": session,
            "lignes": services.lignes_tableau_de_bord(session, etablissements),
            "reouvertures": reouvertures.select_related("etablissement", "candidat", "auteur").prefetch_related(
                "beneficiaires"
            ),
            "en_attente": PropositionNote.objects.filter(
                candidat__session=session, etat=PropositionNote.Etat.EN_ATTENTE
            ).count(),
        },
    )


def _formulaire(request, session, classe, enregistrer, instance, titre, succes):
    form = classe(request.POST or None, session=session, utilisateur=request.user, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            enregistrer(session=session, donnees=form.donnees(), auteur=request.user, objet=instance)
        except OperationRefusee as e:
            champ = getattr(e, "champ", "")  # à côté du champ qu'il concerne (l'établissement hors de l'académie)
            form.add_error(champ if champ in form.fields else None, str(e))
        else:
            messages.success(request, succes)
            return redirect("examens:echeances", session.annee)
    return render(request, "examens/echeances/formulaire.html", {"session": session, "form": form, "titre": titre})


def _echeance(*, objet, **valeurs):
    return services.enregistrer_echeance(echeance=objet, **valeurs)


def _reouverture(*, objet, **valeurs):
    return services.enregistrer_reouverture(reouverture=objet, **valeurs)


@permission_required(GERER, raise_exception=True)
def echeance_creer(request, annee):
    return _formulaire(
        request,
        _session(annee),
        EcheanceForm,
        _echeance,
        None,
        "Fixer une échéance",
        "Échéance enregistrée.",
    )


@permission_required(GERER, raise_exception=True)
def echeance_modifier(request, annee, pk):
    session = _session(annee)
    echeance = get_object_or_404(services.echeances_lisibles(request.user, Echeance.objects), pk=pk, session=session)
    return _formulaire(
        request,
        session,
        EcheanceForm,
        _echeance,
        echeance,
        "Modifier l'échéance",
        "Échéance modifiée.",
    )


@permission_required(GERER, raise_exception=True)
def reouverture_creer(request, annee):
    return _formulaire(
        request,
        _session(annee),
        ReouvertureForm,
        _reouverture,
        None,
        "Rouvrir la saisie",
        "Réouverture enregistrée.",
    )


@permission_required(GERER, raise_exception=True)
def reouverture_modifier(request, annee, pk):
    session = _session(annee)
    reouverture = get_object_or_404(
        services.echeances_lisibles(request.user, Reouverture.objects), pk=pk, session=session
    )
    return _formulaire(
        request,
        session,
        ReouvertureForm,
        _reouverture,
        reouverture,
        "Modifier la réouverture",
        "Réouverture modifiée.",
    )


@permission_required(GERER, raise_exception=True)
def propositions(request, annee, refus=None):
    session = _session(annee)
    lignes = list(
        _propositions_visibles(request.user)
        .filter(candidat__session=session)
        .select_related("candidat", "auteur", "decidee_par")
        .order_by("etat", "-cree_le")
    )
    for p in lignes:
        p.form_refus = (refus or {}).get(p.pk)  # un refus sans motif : le message reste à côté de son champ
    return render(request, "examens/echeances/propositions.html", {"session": session, "propositions": lignes})


def _propositions_visibles(utilisateur):
    """Les propositions des établissements de ses académies (l'administrateur : toutes)."""
    qs = PropositionNote.objects.all()
    if perimetre.voit_tout(utilisateur):
        return qs
    return qs.filter(candidat__etablissement__in=perimetre.etablissements_organisables(utilisateur))


def _proposition(request, annee, pk) -> PropositionNote:
    """404 hors de ses académies : la proposition d'un autre lycée ne se révèle pas."""
    return get_object_or_404(
        _propositions_visibles(request.user).select_related("candidat"), pk=pk, candidat__session__annee=annee
    )


@require_POST
@permission_required(GERER, raise_exception=True)
def proposition_valider(request, annee, pk):
    p = _proposition(request, annee, pk)
    try:
        services.valider_proposition(proposition=p, auteur=request.user)
    except OperationRefusee as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"{p.unite} de {p.candidat.nom} {p.candidat.prenom} : {p.texte} validée et écrite.")
    return redirect("examens:propositions", annee)


@require_POST
@permission_required(GERER, raise_exception=True)
def proposition_refuser(request, annee, pk):
    p = _proposition(request, annee, pk)
    form = RefusForm(request.POST)
    if form.is_valid():
        try:
            services.refuser_proposition(proposition=p, auteur=request.user, motif=form.cleaned_data["motif"])
        except OperationRefusee as e:
            form.add_error("motif", str(e))
        else:
            messages.success(request, f"Proposition de {p.candidat.nom} {p.candidat.prenom} refusée.")
            return redirect("examens:propositions", annee)
    # Le message reste à côté du champ de cette proposition, la saisie conservée.
    return propositions(request, annee, refus={p.pk: form})
