"""Pages PFMP du gestionnaire et de l'enseignant référent.

Chaque vue : une lecture bornée au périmètre (`Candidat.objects.visibles_par` → 404 hors périmètre), un
formulaire, un service, un message, une redirection. Une permission manquante répond 403.

Longueur : les pages d'un même dossier PFMP (périodes, conventions, attestations, certificats, voie), qui partagent
la lecture du candidat et la raison de verrou.
"""

from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from agora import pdf
from agora.format import pluriel
from agora.securite import adresse_client
from examens import perimetre
from examens import selectors as examens_selectors
from examens.models import Candidat, Session
from pfmp import forms, frise, regles_pfmp, selectors, services, tuteurs
from pfmp.models import (
    Attestation,
    CertificatTravail,
    Evaluation,
    LienTuteur,
    Niveau,
    Organisation,
    Periode,
    SignatureTuteur,
)
from referentiel.models import Competence

VOIR = "pfmp.view_convention"


def _candidats(request):
    return Candidat.objects.visibles_par(request.user)


def _sessions(request):
    if request.user.has_perm("examens.voir_tout"):  # sans parcourir les candidats d'une session nationale
        return Session.objects.order_by("-annee")
    return Session.objects.filter(candidats__in=_candidats(request)).distinct().order_by("-annee")


def _candidat(request, pk) -> Candidat:
    return get_object_or_404(selectors.avec_pfmp(_candidats(request)), pk=pk)


def _verifier_ecriture(request, candidat: Candidat) -> None:
    """Visible ne veut pas dire modifiable : le dossier PFMP s'écrit dans le périmètre de `examens.perimetre`
    (bureau des examens de l'établissement, enseignant de la division) ; sinon 403, rien n'est écrit."""
    if not perimetre.peut_ecrire_pfmp(request.user, candidat):
        raise PermissionDenied(f"Dossier PFMP de {candidat.numero} : {perimetre.HORS_PERIMETRE}.")


def _refuser_si_verrouille(request, form, candidat: Candidat) -> str | None:
    """La raison du verrouillage (session ou jury) du dossier de ce candidat, que le formulaire affiche en lecture
    seule ; un envoi malgré tout est refusé avec elle, sans rien écrire."""
    verrou = services.raison_verrou(candidat)
    if verrou and request.method == "POST":
        form.add_error(None, verrou)
    return verrou


def _candidat_ecriture(request, pk) -> Candidat:
    c = _candidat(request, pk)
    _verifier_ecriture(request, c)
    return c


def _periode_ecriture(request, pk) -> Periode:
    periode = _periode(request, pk)
    _verifier_ecriture(request, periode.convention.candidat)
    return periode


def _periode(request, pk) -> Periode:
    return get_object_or_404(
        Periode.objects.filter(convention__candidat__in=_candidats(request)).select_related(
            "convention__candidat__session__reglement",
            "convention__candidat__etablissement",
            "convention__candidat__division",
            "convention__organisation",
            "convention__tuteur",
            "convention__referent",
        ),
        pk=pk,
    )


def _referentiel(candidat: Candidat):
    return candidat.session.reglement.referentiel


def _message_conformite(candidat: Candidat, conformite: regles_pfmp.Conformite) -> str:
    nom = f"{candidat.prenom} {candidat.nom}"
    if conformite.conforme:
        return f"{nom} est conforme : {conformite.exigence.libelle}."
    return f"{nom} n'est pas encore conforme ({conformite.niveau.libelle}) : {conformite.motifs[0]}."


# ---------------------------------------------------------------------------------------------------
# Tableau de bord et liste « à risque »
# ---------------------------------------------------------------------------------------------------


@permission_required(VOIR, raise_exception=True)
def index(request):
    session = Session.objects.filter(candidats__in=_candidats(request)).order_by("-annee").first()
    if session is None:
        return render(request, "pfmp/aucune_session.html")
    return redirect("pfmp:tableau", annee=session.annee)


@permission_required(VOIR, raise_exception=True)
def tableau(request, annee):
    """Conformité de chaque candidat, résumée par division ; `?etat=a_risque` donne la liste à risque."""
    session = get_object_or_404(Session, annee=annee)
    visibles = _candidats(request).de_session(session)
    etablissement = request.GET.get("etablissement", "")
    if etablissement.isdecimal() and len(etablissement) <= 18:
        visibles = visibles.filter(etablissement_id=etablissement)
    else:
        etablissement = ""
        if visibles.count() > examens_selectors.PLAFOND_LIGNES:
            return _national(request, session, visibles)
    lignes = selectors.lignes(visibles)
    resumes = selectors.par_division(lignes)
    division = request.GET.get("division", "")
    if not division.isdecimal():
        division = ""
    etat = request.GET.get("etat", "")
    if etat not in regles_pfmp.Niveau._value2member_map_:
        etat = ""
    filtrees = [
        ligne
        for ligne in lignes
        if (not division or str(ligne.candidat.division_id) == division)
        and (not etat or ligne.conformite.niveau == etat)
    ]
    return render(
        request,
        "pfmp/tableau.html",
        {
            "session": session,
            "sessions": _sessions(request),
            "resumes": resumes,
            "groupes": selectors.par_division(filtrees),
            "nb_lignes": len(filtrees),
            "division": division,
            "etablissement": etablissement,
            "etat": etat,
            "niveaux": regles_pfmp.Niveau,
            "total": {n.value: sum(1 for ligne in lignes if ligne.conformite.niveau is n) for n in regles_pfmp.Niveau},
        },
    )


PAR_PAGE = 50


def _national(request, session, visibles):
    """Au-delà de quelques milliers de candidats (un administrateur, une session nationale) : le résumé par
    établissement et par niveau, lu dans les états enregistrés, puis les candidats page par page."""
    aujourd_hui = timezone.localdate()
    resume = selectors.resume(visibles, aujourd_hui)
    etat = request.GET.get("etat", "")
    if etat not in regles_pfmp.Niveau._value2member_map_:
        etat = ""
    filtres = selectors.dans_l_etat(visibles, etat, resume, aujourd_hui) if etat else visibles
    ordre = ("etablissement__nom", "etablissement__uai", "nom", "prenom", "numero")
    page = Paginator(filtres.order_by(*ordre).values_list("pk", flat=True), PAR_PAGE).get_page(request.GET.get("page"))
    candidats = list(
        Candidat.objects.filter(pk__in=list(page.object_list))
        .select_related("session", "etablissement", "division__etablissement")
        .order_by(*ordre)
    )
    evalues = selectors.conformites_de([c.pk for c in candidats], aujourd_hui)
    return render(
        request,
        "pfmp/national.html",
        {
            "session": session,
            "sessions": _sessions(request),
            "resume": resume,
            "etat": etat,
            "page": page,
            "lignes": [selectors.Ligne(c, evalues[c.pk].conformite) for c in candidats],
        },
    )


@require_POST
@permission_required("pfmp.synchroniser", raise_exception=True)
def synchroniser(request, annee):
    session = get_object_or_404(Session, annee=annee)
    # Le périmètre de l'utilisateur, ou l'établissement affiché : un gestionnaire recalcule ses établissements en
    # une seconde, pas toute une session nationale (≈ 30 s pour 25 000 candidats, plus que le délai d'une requête).
    candidats = perimetre.candidats_ecrivables(request.user)
    etablissement = request.POST.get("etablissement", "")
    if etablissement.isdecimal() and len(etablissement) <= 18:
        candidats = candidats.filter(etablissement_id=etablissement)
    else:
        etablissement = ""
    try:
        compte = services.synchroniser_session(session=session, candidats=candidats, auteur=request.user)
    except services.OperationRefusee as e:
        messages.error(request, str(e))
    else:
        changes = compte["blocages_changes"]
        messages.success(
            request,
            f"Contrôle des blocages de la session {annee} : {pluriel(compte['conforme'], 'conforme')}, "
            f"{compte['en_cours']} en cours, {compte['a_risque']} à risque ; "
            + (f"{pluriel(changes, 'candidat corrigé')} (blocage ou mobilité)." if changes else "rien à corriger."),
        )
    suite = reverse("pfmp:tableau", args=[annee])
    return redirect(f"{suite}?etablissement={etablissement}" if etablissement else suite)


# ---------------------------------------------------------------------------------------------------
# Dossier PFMP d'un candidat
# ---------------------------------------------------------------------------------------------------


@permission_required(VOIR, raise_exception=True)
def candidat(request, pk):
    c = _candidat(request, pk)
    aujourd_hui = timezone.localdate()
    periodes = selectors.periodes_de(c)
    conformite = selectors.conformite(c, aujourd_hui)
    return render(
        request,
        "pfmp/candidat.html",
        {
            "candidat": c,
            "dossier": selectors.dossier(c),
            "periodes": periodes,
            "certificats": list(c.pfmp_certificats.all()),
            "conformite": conformite,
            "certificats_requis": conformite.exigence.justificatif is regles_pfmp.Justificatif.CERTIFICATS,
            "frise": frise.construire(
                session=c.session.annee, duree_cycle=c.duree_cycle, periodes=periodes, aujourd_hui=aujourd_hui
            ),
            "date_examen": regles_pfmp.date_examen(c.session.annee),
            "verrou": services.raison_verrou(c),
        },
    )


@permission_required("pfmp.add_convention", raise_exception=True)
def periode_ajouter(request, pk):
    c = _candidat_ecriture(request, pk)
    initial = {"organisation": request.GET.get("organisation")} if request.GET.get("organisation", "").isdigit() else {}
    form = forms.PeriodeForm(request.POST or None, candidat=c, initial=initial)
    verrou = _refuser_si_verrouille(request, form, c)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.enregistrer_periode(
                candidat=c,
                organisation=d["organisation"],
                date_debut=d["date_debut"],
                date_fin=d["date_fin"],
                semaines=d["semaines"],
                pays=d["pays"] or None,
                referent=d["referent"],
                etat_convention=d["etat_convention"],
                date_signature=d["date_signature"],
                tuteur_nom=d["tuteur_nom"],
                tuteur_prenom=d["tuteur_prenom"],
                tuteur_fonction=d["tuteur_fonction"],
                tuteur_email=d["tuteur_email"],
                auteur=request.user,
            )
        except services.OperationRefusee as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"Période du {d['date_debut']:%d/%m/%Y} au {d['date_fin']:%d/%m/%Y} enregistrée.")
            return redirect("pfmp:candidat", pk=c.pk)
    return render(request, "pfmp/periode_form.html", {"candidat": c, "form": form, "verrou": verrou})


@require_POST
@permission_required("pfmp.delete_convention", raise_exception=True)
def periode_supprimer(request, pk):
    periode = _periode_ecriture(request, pk)
    candidat_pk = periode.convention.candidat_id
    try:
        services.supprimer_periode(periode=periode, auteur=request.user)
    except services.OperationRefusee as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "Période supprimée.")
    return redirect("pfmp:candidat", pk=candidat_pk)


@permission_required("pfmp.change_convention", raise_exception=True)
def convention(request, pk):
    periode = _periode_ecriture(request, pk)
    conv = periode.convention
    form = forms.ConventionForm(
        request.POST or None, initial={"etat": conv.etat, "date_signature": conv.date_signature}
    )
    verrou = _refuser_si_verrouille(request, form, conv.candidat)
    if request.method == "POST" and form.is_valid():
        try:
            services.modifier_convention(
                convention=conv,
                etat=form.cleaned_data["etat"],
                date_signature=form.cleaned_data["date_signature"],
                auteur=request.user,
            )
        except services.OperationRefusee as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Convention mise à jour.")
            return redirect("pfmp:candidat", pk=conv.candidat_id)
    return render(
        request,
        "pfmp/convention_form.html",
        {"periode": periode, "candidat": conv.candidat, "form": form, "verrou": verrou},
    )


@permission_required("pfmp.add_attestation", raise_exception=True)
def attestation_saisir(request, pk):
    periode = _periode_ecriture(request, pk)
    c = periode.convention.candidat
    actuelle = periode.attestations.filter(en_vigueur=True).first()
    if actuelle:
        initial = {
            "date_debut": actuelle.date_debut,
            "date_fin": actuelle.date_fin,
            "semaines": forms.semaines_initiales(actuelle.semaines),
            "signataire": actuelle.signataire,
            "signee": actuelle.signee,
            "date_signature": actuelle.date_signature,
            "observations": actuelle.observations,
            "activites": forms.activites_du(_referentiel(c)).filter(code__in=[a["code"] for a in actuelle.activites]),
        }
    else:
        evaluation = Evaluation.objects.filter(periode=periode).first()
        initial = {
            "date_debut": periode.date_debut,
            "date_fin": periode.date_fin,
            "semaines": forms.semaines_initiales(periode.semaines),
            "signataire": str(periode.convention.tuteur or ""),
            "activites": evaluation.activites.all() if evaluation else [],
        }
    form = forms.AttestationForm(request.POST or None, initial=initial, referentiel=_referentiel(c))
    verrou = _refuser_si_verrouille(request, form, c)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            attestation, conformite = services.enregistrer_attestation(
                periode=periode,
                date_debut=d["date_debut"],
                date_fin=d["date_fin"],
                semaines=d["semaines"],
                activites=d["activites"],
                signee=d["signee"],
                date_signature=d["date_signature"],
                signataire=d["signataire"],
                observations=d["observations"],
                auteur=request.user,
            )
        except services.OperationRefusee as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"Attestation {attestation.numero} enregistrée.")
            (messages.success if conformite.conforme else messages.warning)(request, _message_conformite(c, conformite))
            return redirect("pfmp:candidat", pk=c.pk)
    return render(
        request,
        "pfmp/attestation_form.html",
        {"periode": periode, "candidat": c, "form": form, "actuelle": actuelle, "verrou": verrou},
    )


@permission_required("pfmp.view_attestation", raise_exception=True)
def attestation(request, pk):
    a = _attestation_visible(request, pk)
    remplacee_par = Attestation.objects.filter(remplace=a).first()
    signature = SignatureTuteur.objects.filter(attestation=a).defer("pdf").first()
    if request.GET.get("format") == "pdf":
        rendu = pdf.rendre_attestation_pfmp(
            a, candidat=a.periode.convention.candidat, remplacee_par=remplacee_par, signature=signature
        )
        reponse = HttpResponse(rendu.contenu, content_type="application/pdf")
        reponse["Content-Disposition"] = f'attachment; filename="attestation-pfmp-{a.pk}.pdf"'
        return reponse
    return render(
        request,
        "pfmp/attestation.html",
        {
            "attestation": a,
            "candidat": a.periode.convention.candidat,
            "remplacee_par": remplacee_par,
            "signature": signature,
        },
    )


def _attestation_visible(request, pk):
    return get_object_or_404(
        Attestation.objects.filter(periode__convention__candidat__in=_candidats(request)).select_related(
            "remplace", "saisie_par", "periode__convention__candidat"
        ),
        pk=pk,
    )


# ---------------------------------------------------------------------------------------------------
# Certificats de travail, voie et positionnement
# ---------------------------------------------------------------------------------------------------


@permission_required("pfmp.add_certificattravail", raise_exception=True)
def certificat_ajouter(request, pk):
    c = _candidat_ecriture(request, pk)
    form = forms.CertificatForm(request.POST or None, referentiel=_referentiel(c))
    verrou = _refuser_si_verrouille(request, form, c)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.enregistrer_certificat(
                candidat=c,
                employeur=d["employeur"],
                siret=d["siret"],
                emploi=d["emploi"],
                quotite=d["quotite"],
                date_debut=d["date_debut"],
                date_fin=d["date_fin"],
                activites=d["activites"],
                auteur=request.user,
            )
        except (services.OperationRefusee, ValidationError) as e:
            form.add_error(None, e.messages if isinstance(e, ValidationError) else str(e))
        else:
            messages.success(request, "Certificat de travail enregistré.")
            conformite = selectors.conformite(_candidat(request, pk))
            (messages.success if conformite.conforme else messages.warning)(request, _message_conformite(c, conformite))
            return redirect("pfmp:candidat", pk=c.pk)
    return render(request, "pfmp/certificat_form.html", {"candidat": c, "form": form, "verrou": verrou})


@require_POST
@permission_required("pfmp.delete_certificattravail", raise_exception=True)
def certificat_supprimer(request, pk):
    certificat = get_object_or_404(
        CertificatTravail.objects.filter(candidat__in=_candidats(request)).select_related("candidat"), pk=pk
    )
    _verifier_ecriture(request, certificat.candidat)
    candidat_pk = certificat.candidat_id
    try:
        services.supprimer_certificat(certificat=certificat, auteur=request.user)
    except services.OperationRefusee as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "Certificat supprimé.")
    return redirect("pfmp:candidat", pk=candidat_pk)


@permission_required("pfmp.change_dossierpfmp", raise_exception=True)
def dossier(request, pk):
    c = _candidat_ecriture(request, pk)
    form = forms.DossierForm(request.POST or None, candidat=c, initial=forms.initial_dossier(c, selectors.dossier(c)))
    verrou = _refuser_si_verrouille(request, form, c)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            conformite = services.definir_dossier(
                candidat=c,
                voie=d["voie"],
                date_positionnement=d["date_positionnement"],
                semaines_positionnement=d["semaines_positionnement"],
                observations=d["observations"],
                auteur=request.user,
            )
        except services.OperationRefusee as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Voie et positionnement enregistrés.")
            (messages.success if conformite.conforme else messages.warning)(request, _message_conformite(c, conformite))
            return redirect("pfmp:candidat", pk=c.pk)
    return render(request, "pfmp/dossier_form.html", {"candidat": c, "form": form, "verrou": verrou})


# ---------------------------------------------------------------------------------------------------
# Document de liaison : évaluation du tuteur (saisie, fiche imprimable), document complet
# ---------------------------------------------------------------------------------------------------


def _competences(referentiel):
    return (
        Competence.objects.filter(bloc__referentiel=referentiel, bloc__type="professionnel")
        .select_related("activite", "bloc")
        .order_by("bloc__ordre", "ordre")
    )


def _par_activite(competences, lignes=None):
    """[(activité, [(compétence, valeur)])] dans l'ordre du référentiel."""
    groupes = defaultdict(list)
    ordre = []
    for c in competences:
        if c.activite not in groupes:
            ordre.append(c.activite)
        groupes[c.activite].append((c, lignes(c) if lignes else None))
    return [(a, groupes[a]) for a in ordre]


@permission_required("pfmp.change_evaluation", raise_exception=True)
def evaluation(request, pk):
    periode = _periode_ecriture(request, pk)
    c = periode.convention.candidat
    referentiel = _referentiel(c)
    competences = list(_competences(referentiel))
    existante = Evaluation.objects.filter(periode=periode).prefetch_related("appreciations", "activites").first()
    if existante:
        initial = {
            "date_visite": existante.date_visite,
            "tuteur": existante.tuteur,
            "appreciation": existante.appreciation,
            "activites": list(existante.activites.all()),
            **{f"c{a.competence_id}": a.niveau for a in existante.appreciations.all()},
        }
    else:
        initial = {"tuteur": str(periode.convention.tuteur or ""), "date_visite": None}
    form = forms.EvaluationForm(request.POST or None, initial=initial, competences=competences, referentiel=referentiel)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        services.enregistrer_evaluation(
            periode=periode,
            date_visite=d["date_visite"],
            tuteur=d["tuteur"],
            activites=d["activites"],
            appreciation=d["appreciation"],
            niveaux=form.niveaux(),
            auteur=request.user,
        )
        messages.success(request, f"Évaluation de la période du {periode.date_debut:%d/%m/%Y} enregistrée.")
        return redirect("pfmp:candidat", pk=c.pk)
    return render(
        request,
        "pfmp/evaluation_form.html",
        {
            "periode": periode,
            "candidat": c,
            "form": form,
            "groupes": _par_activite(competences, form.champ),
            "niveaux": Niveau.choices,
            "cle_brouillon": f"pfmp-evaluation-{periode.pk}",
        },
    )


@permission_required(VOIR, raise_exception=True)
def evaluation_imprimer(request, pk):
    """Fiche d'évaluation à remettre au tuteur : vierge, ou remplie si l'évaluation est saisie."""
    periode = _periode(request, pk)
    c = periode.convention.candidat
    referentiel = _referentiel(c)
    existante = Evaluation.objects.filter(periode=periode).prefetch_related("appreciations", "activites").first()
    niveaux = {a.competence_id: a.niveau for a in existante.appreciations.all()} if existante else {}
    faites = {a.pk for a in existante.activites.all()} if existante else set()
    return render(
        request,
        "pfmp/evaluation_imprimer.html",
        {
            "periode": periode,
            "candidat": c,
            "evaluation": existante,
            "activites": [(a, a.pk in faites) for a in forms.activites_du(referentiel)],
            "groupes": _par_activite(_competences(referentiel), lambda comp: niveaux.get(comp.pk, "")),
            "niveaux": Niveau.choices,
        },
    )


@permission_required(VOIR, raise_exception=True)
def document_liaison(request, pk):
    """Le document de liaison du cycle : activités réalisées et niveau de chaque compétence, période par période."""
    c = _candidat(request, pk)
    referentiel = _referentiel(c)
    periodes = selectors.periodes_de(c)
    evaluations = {
        e.periode_id: e
        for e in Evaluation.objects.filter(periode__in=[p.pk for p in periodes]).prefetch_related(
            "appreciations", "activites"
        )
    }
    niveaux = {(e.periode_id, a.competence_id): a.niveau for e in evaluations.values() for a in e.appreciations.all()}
    faites = {(e.periode_id, a.pk) for e in evaluations.values() for a in e.activites.all()}
    activites = [(a, [(p, (p.pk, a.pk) in faites) for p in periodes]) for a in forms.activites_du(referentiel)]
    groupes = _par_activite(
        _competences(referentiel), lambda comp: [niveaux.get((p.pk, comp.pk), "") for p in periodes]
    )
    return render(
        request,
        "pfmp/document_liaison.html",
        {
            "candidat": c,
            "periodes": periodes,
            "evaluations": [(p, evaluations.get(p.pk)) for p in periodes],
            "activites": activites,
            "groupes": groupes,
            "niveaux": Niveau.choices,
        },
    )


# ---------------------------------------------------------------------------------------------------
# Organisations d'accueil
# ---------------------------------------------------------------------------------------------------


@permission_required("pfmp.view_organisation", raise_exception=True)
def organisations(request):
    q = request.GET.get("q", "").strip()
    qs = Organisation.objects.annotate(nb_periodes=Count("conventions__periodes")).order_by("nom")
    if q:
        qs = qs.filter(Q(nom__icontains=q) | Q(siret__startswith=q.replace(" ", "")) | Q(ville__icontains=q))
    return render(request, "pfmp/organisations.html", {"organisations": qs[:200], "q": q, "tronque": qs.count() > 200})


def _suivant(request) -> str:
    suivant = request.POST.get("suivant") or request.GET.get("suivant") or ""
    if suivant and url_has_allowed_host_and_scheme(suivant, allowed_hosts={request.get_host()}):
        return suivant
    return ""


@permission_required("pfmp.add_organisation", raise_exception=True)
def organisation_ajouter(request):
    form = forms.OrganisationForm(request.POST or None)
    suivant = _suivant(request)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.creer_organisation(**form.cleaned_data)
        except ValidationError as e:
            for champ, erreurs in e.message_dict.items():
                form.add_error(champ if champ in form.fields else None, erreurs)
        else:
            messages.success(request, f"Organisation « {organisation.nom} » enregistrée.")
            if suivant:
                separateur = "&" if "?" in suivant else "?"
                return redirect(f"{suivant}{separateur}organisation={organisation.pk}")
            return redirect("pfmp:organisations")
    return render(request, "pfmp/organisation_form.html", {"form": form, "suivant": suivant})


# ---------------------------------------------------------------------------------------------------
# Lien du tuteur : le lycée l'envoie et le révoque ; le tuteur, sans compte, atteste, évalue et signe
# ---------------------------------------------------------------------------------------------------


@permission_required("pfmp.add_attestation", raise_exception=True)
def lien_tuteur(request, pk):
    periode = _periode(request, pk)
    c = periode.convention.candidat
    tuteur = periode.convention.tuteur
    form = forms.LienTuteurForm(
        request.POST or None,
        jours_max=settings.PFMP_LIEN_TUTEUR_JOURS,
        initial={"destinataire": tuteur.email if tuteur else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            lien = tuteurs.envoyer_lien(
                periode=periode,
                destinataire=form.cleaned_data["destinataire"],
                jours=form.cleaned_data["jours"],
                auteur=request.user,
                base=request.build_absolute_uri("/"),
            )
        except services.OperationRefusee as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request,
                f"Lien envoyé à {lien.destinataire}, valable jusqu'au {timezone.localtime(lien.expire_le):%d/%m/%Y}.",
            )
            return redirect("pfmp:lien-tuteur", pk=periode.pk)
    return render(
        request,
        "pfmp/lien_tuteur.html",
        {
            "periode": periode,
            "candidat": c,
            "form": form,
            "liens": LienTuteur.objects.filter(periode=periode).select_related("signature__attestation"),
            "maintenant": timezone.now(),
        },
    )


@require_POST
@permission_required("pfmp.add_attestation", raise_exception=True)
def lien_revoquer(request, pk):
    lien = get_object_or_404(LienTuteur.objects.filter(periode__convention__candidat__in=_candidats(request)), pk=pk)
    try:
        tuteurs.revoquer_lien(lien=lien, auteur=request.user)
    except services.OperationRefusee as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Lien envoyé à {lien.destinataire} révoqué : il ne permet plus de signer.")
    return redirect("pfmp:lien-tuteur", pk=lien.periode_id)


def _invalide(request, erreur: tuteurs.LienInvalide):
    return render(request, "pfmp/tuteur_invalide.html", {"message": str(erreur)}, status=erreur.statut)


@login_not_required
@csrf_protect
def tuteur(request, jeton):
    """Page du tuteur, sans compte : le jeton signé du lien tient lieu d'identification, pour cette seule période."""
    try:
        lien = tuteurs.lien_valide(jeton)
    except tuteurs.LienInvalide as e:
        return _invalide(request, e)
    periode = lien.periode
    c = periode.convention.candidat
    referentiel = _referentiel(c)
    competences = list(_competences(referentiel))
    existante = Evaluation.objects.filter(periode=periode).prefetch_related("appreciations", "activites").first()
    attestation_actuelle = periode.attestations.filter(en_vigueur=True).first()
    initial = {
        "date_debut": attestation_actuelle.date_debut if attestation_actuelle else periode.date_debut,
        "date_fin": attestation_actuelle.date_fin if attestation_actuelle else periode.date_fin,
        "semaines": forms.semaines_initiales(
            attestation_actuelle.semaines if attestation_actuelle else periode.semaines
        ),
        "nom": lien.nom,
        "qualite": periode.convention.tuteur.fonction if periode.convention.tuteur else "",
    }
    if existante:
        initial.update(
            appreciation=existante.appreciation,
            activites=list(existante.activites.all()),
            **{f"c{a.competence_id}": a.niveau for a in existante.appreciations.all()},
        )
    form = forms.TuteurForm(
        request.POST or None, initial=initial, competences=competences, referentiel=referentiel, periode=periode
    )
    verrou = _refuser_si_verrouille(request, form, c)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        saisie = tuteurs.Saisie(
            date_debut=d["date_debut"],
            date_fin=d["date_fin"],
            semaines=d["semaines"],
            absences=d["absences"],
            activites=list(d["activites"]),
            niveaux=form.niveaux(),
            appreciation=d["appreciation"],
            nom=d["nom"],
            qualite=d["qualite"],
            consentement=d["consentement"],
        )
        try:
            attestation_signee = tuteurs.signer(
                valeur=jeton,
                saisie=saisie,
                adresse_ip=adresse_client(request),
                navigateur=request.META.get("HTTP_USER_AGENT", ""),
            )
        except tuteurs.LienInvalide as e:
            return _invalide(request, e)
        except services.OperationRefusee as e:
            form.add_error(None, str(e))
        else:
            return render(
                request,
                "pfmp/tuteur_merci.html",
                {"attestation": attestation_signee, "signature": attestation_signee.signature_tuteur, "candidat": c},
            )
    return render(
        request,
        "pfmp/tuteur.html",
        {
            "lien": lien,
            "periode": periode,
            "candidat": c,
            "form": form,
            "groupes": _par_activite(competences, form.champ),
            "niveaux": Niveau.choices,
            "verrou": verrou,
        },
    )


@permission_required("pfmp.view_attestation", raise_exception=True)
def signature_pdf(request, pk):
    """Le PDF tel que le tuteur l'a signé (octets conservés, empreinte SHA-256 affichée)."""
    a = _attestation_visible(request, pk)
    signature = get_object_or_404(SignatureTuteur, attestation=a)
    reponse = HttpResponse(bytes(signature.pdf), content_type="application/pdf")
    reponse["Content-Disposition"] = f'attachment; filename="attestation-pfmp-{a.pk}-signee.pdf"'
    return reponse
