"""Pages du bureau des examens : tableau de bord, candidats, saisie des notes, délibération, documents.

Longueur : des vues minces (lecture bornée au périmètre, formulaire, service, message) d'un même bureau, qui
partagent leurs aides (`_session`, onglets, raisons de verrou) ; les pièces à part (ccf, documents, jurys,
échéances, organisation, comptes) ont déjà leurs propres vues.
"""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agora import tableaux
from agora.format import pluriel
from agora.requetes import RequeteFigee
from agora.securite import neutraliser_formule
from examens import apercus, exports, imports, journal_lisible, modeles_import, perimetre, selectors, services
from examens.echeances import services as echeances
from examens.forms import CandidatForm, ControleForm, ImportForm, NoteJuryForm, PointsJuryForm
from examens.jurys.services import candidats_du_jury
from examens.jurys.views import contexte_jury, jury_demande
from examens.models import Candidat, Division, Journal, Note, PropositionNote, Resultat, Session


def _session(annee: int) -> Session:
    sessions = _SESSION(annee=annee)
    if not sessions:
        raise Http404("Session introuvable.")
    return sessions[0]


# La session de chaque page du bureau des examens, avec son règlement : compilée une fois (agora/requetes.py).
_SESSION = RequeteFigee(lambda annee: Session.objects.select_related("reglement").filter(annee=annee))


def _candidat(request, pk: int) -> Candidat:
    return get_object_or_404(
        Candidat.objects.visibles_par(request.user).select_related("session__reglement", "etablissement", "division"),
        pk=pk,
    )


def _candidat_ecriture(request, pk: int) -> Candidat:
    """Le candidat à modifier : 404 s'il n'est pas visible (rien ne se révèle), 403 s'il est visible mais hors du
    périmètre d'écriture (`examens.perimetre`)."""
    c = _candidat(request, pk)
    if not perimetre.peut_ecrire_candidat(request.user, c):
        raise PermissionDenied(f"Candidat {c.numero} : {perimetre.HORS_PERIMETRE}.")
    return c


def _candidat_jury(request, pk: int) -> Candidat:
    """Le candidat d'un acte du jury : 404 s'il n'est pas visible, 403 s'il est visible mais hors des candidats
    que l'utilisateur délibère (`perimetre.candidats_deliberables` : division des examens, jury)."""
    c = _candidat(request, pk)
    if not perimetre.peut_deliberer_candidat(request.user, c):
        raise PermissionDenied(f"Candidat {c.numero} : {perimetre.HORS_PERIMETRE}.")
    return c


def _erreur_formulaire(form, e: services.OperationRefusee) -> None:
    """Le message va à côté du champ qu'il concerne (ex. l'UAI hors du périmètre), sinon en tête du formulaire."""
    champ = getattr(e, "champ", "")
    form.add_error(champ if champ in form.fields else None, str(e))


def _perimetre(request, session: Session):
    return Candidat.objects.visibles_par(request.user).de_session(session)


def _au_plafond(qs, actifs) -> int | None:
    """Le nombre de candidats si la sélection dépasse le plafond sans établissement ni division choisis."""
    if "etablissement" in actifs or "division" in actifs:
        return None
    nombre = qs.count()
    return nombre if nombre > selectors.PLAFOND_LIGNES else None


def _plafond(request, session, trop, actifs) -> dict:
    """Contexte commun : le message de plafond et, pour choisir, la liste des établissements."""
    choisir = trop is not None or "etablissement" in actifs
    return {
        "trop": trop,
        "plafond": selectors.PLAFOND_LIGNES,
        "etablissements": selectors.etablissements_visibles(request.user, session) if choisir else None,
    }


# ------------------------------------------------------------------------------------------ sessions


@permission_required("examens.view_session", raise_exception=True)
def sessions(request):
    perimetre = (
        Q() if request.user.has_perm("examens.voir_tout") else Q(candidats__etablissement__gestionnaires=request.user)
    )
    liste = Session.objects.select_related("reglement").annotate(nb_candidats=Count("candidats", filter=perimetre))
    return render(request, "examens/sessions.html", {"sessions": liste})


@permission_required("examens.view_session", raise_exception=True)
def session(request, annee):
    session = _session(annee)
    candidats = _perimetre(request, session)
    if not request.user.has_perm("examens.voir_tout"):
        # PostgreSQL estime mal le périmètre d'un gestionnaire (trois sous-requêtes en OU) et parcourt alors toutes
        # les notes et tous les résultats de la session : ses identifiants, lus d'abord, donnent des parcours
        # d'index (62 candidats dans une session de 25 000 : 118 → 11 ms).
        candidats = Candidat.objects.filter(pk__in=list(candidats.values_list("pk", flat=True)))
    bord = selectors.tableau_de_bord(session, candidats)
    return render(
        request,
        "examens/session.html",
        {
            "session": session,
            "bord": bord,
            "histogramme": bord["histogramme"],
            "etablissements": selectors.etablissements_visibles(request.user, session),
            "echeances": echeances.lignes_tableau_de_bord(session, echeances.etablissements_lus(request.user)),
        },
    )


# ----------------------------------------------------------------------------------------- candidats


@permission_required("examens.view_candidat", raise_exception=True)
def candidats(request, annee):
    session = _session(annee)
    filtres, actifs = selectors.lire_filtres(request.GET)
    tri = request.GET.get("tri", "numero")
    numero_page = request.GET.get("page")
    premiere = (
        selectors.premiere_page_candidats(request.user, session, tri, filtres)
        if numero_page in (None, "", "1")
        else None
    )
    if premiere is not None:  # la page la plus lue : lignes et nombre en une requête compilée une fois
        lignes, nombre = premiere
        paginator = Paginator(lignes, selectors.LIGNES_PAR_PAGE)
        paginator.count = nombre
        page = paginator.page(1)
    else:
        qs = selectors.liste_candidats(tri, utilisateur=request.user, session_id=session.pk, **filtres)
        page = Paginator(qs, selectors.LIGNES_PAR_PAGE).get_page(numero_page)
    # Les catégories du règlement, lues une fois : le filtre de la page et la catégorie de chaque ligne.
    liste_categories = selectors.categories(session.reglement)
    categories = {statut: c for c in liste_categories for statut in c.statuts}
    for c in page:
        c.categorie = categories.get(c.statut)
    # Les établissements du filtre sont ceux des divisions visibles (selectors.etablissements_visibles), lus avec
    # elles ; les divisions sont triées par nom d'établissement, donc eux aussi, comme Etablissement.Meta.
    divisions = selectors.divisions_filtrables(request.user, session)
    etablissements = list(dict.fromkeys(d.etablissement for d in divisions))
    return render(
        request,
        "examens/candidats.html",
        {
            "session": session,
            "page": page,
            "actifs": actifs,
            "tri": tri,
            "etablissements": etablissements,
            "divisions": divisions,
            "statuts": Candidat._meta.get_field("statut").choices,
            "decisions": selectors.DECISIONS,
            "categories": liste_categories,
            "parametres": "&".join(f"{k}={v}" for k, v in actifs.items()),
        },
    )


@permission_required("examens.view_candidat", raise_exception=True)
def division(request, pk):
    visibles = Candidat.objects.visibles_par(request.user)
    division = get_object_or_404(Division.objects.filter(candidats__in=visibles).distinct(), pk=pk)
    return redirect(f"{reverse('examens:candidats', args=[division.session.annee])}?division={division.pk}")


@permission_required("examens.view_candidat", raise_exception=True)
def candidat(request, pk):
    return _page_candidat(request, _candidat(request, pk))


def _page_candidat(request, c: Candidat, **formulaires):
    """La fiche du candidat ; une décision du jury refusée la rend à nouveau avec son formulaire rempli.

    Le formulaire refusé (`formulaires`) garde ce que le jury a tapé et porte l'erreur à côté de son champ : une
    redirection les perdrait. Une décision acceptée reste un POST suivi d'une redirection.
    """
    fiche = selectors.fiche_candidat(c)
    resultat = Resultat.objects.filter(candidat=c).first()
    journal = journal_lisible.lisibles(
        list(Journal.objects.filter(session_annee=c.session.annee, candidat_numero=c.numero)[:50]), c.session.annee
    )
    return render(
        request,
        "examens/candidat.html",
        {
            "c": c,
            "session": c.session,
            **fiche,
            "resultat": resultat,
            "nb_notes": sum(1 for ligne in fiche["lignes"] for n in (ligne.note, ligne.controle) if n),
            "journal": journal,
            "decisions": selectors.DECISIONS,
            "mentions": selectors.MENTIONS,
            "form_note": NoteJuryForm(),
            "form_points": PointsJuryForm(initial={"points": c.points_jury}),
            "form_controle": ControleForm(
                reglement=c.session.reglement,
                initial={
                    "controle_scientifique": c.controle_scientifique or "U12",
                    "controle_francais_hg": c.controle_francais_hg or "U51",
                },
            ),
            "erreur_nv": None,
            # Session ou jury verrouillé : les formulaires du jury en lecture seule, avec la raison.
            "verrou": services.raison_verrou(c),
            **formulaires,
        },
    )


@permission_required("examens.add_candidat", raise_exception=True)
def candidat_creer(request, annee):
    session = _session(annee)
    form = CandidatForm(request.POST or None, annee=annee)
    if request.method == "POST" and form.is_valid():
        try:
            nouveau = services.enregistrer_candidat(
                session=session,
                propre={**form.propre, "chef_oeuvre": form.cleaned_data.get("chef_oeuvre")},
                auteur=request.user,
            )
        except services.OperationRefusee as e:
            _erreur_formulaire(form, e)
        else:
            messages.success(request, f"Candidat {nouveau.numero} créé.")
            return redirect("examens:candidat", pk=nouveau.pk)
    return render(
        request, "examens/candidat_form.html", {"form": form, "session": session, "titre": "Nouveau candidat"}
    )


@permission_required("examens.change_candidat", raise_exception=True)
def candidat_modifier(request, pk):
    c = _candidat_ecriture(request, pk)
    form = CandidatForm(request.POST or None, annee=c.session.annee, instance=c)
    verrou = services.raison_verrou(c)  # session ou jury verrouillé : le formulaire en lecture seule
    if verrou and request.method == "POST":
        form.add_error(None, verrou)
    if request.method == "POST" and form.is_valid():
        try:
            services.enregistrer_candidat(
                session=c.session,
                candidat=c,
                auteur=request.user,
                propre={**form.propre, "chef_oeuvre": form.cleaned_data.get("chef_oeuvre")},
            )
        except services.OperationRefusee as e:
            _erreur_formulaire(form, e)
        else:
            messages.success(request, "Modifications enregistrées.")
            return redirect("examens:candidat", pk=c.pk)
    return render(
        request,
        "examens/candidat_form.html",
        {"form": form, "session": c.session, "c": c, "titre": f"Modifier {c.nom} {c.prenom}", "verrou": verrou},
    )


# ------------------------------------------------------------------------------------- saisie des notes


@permission_required("examens.change_note", raise_exception=True)
def saisie_notes(request, annee, unite):
    """Tableau de saisie au clavier des notes d'une unité (une ligne par candidat)."""
    session = _session(annee)
    epreuves = selectors.epreuves_notees(session.reglement)  # lues une fois : l'unité et le menu des unités
    epreuve = next((e for e in epreuves if e.unite.code == unite), None)
    if epreuve is None:
        raise Http404("Unité inconnue")
    groupe = 2 if request.GET.get("groupe") == "2" else 1
    # Une page d'écriture : les candidats que l'utilisateur peut noter, pas tous ceux qu'il voit.
    filtres, actifs = selectors.lire_filtres(request.GET)
    forme = selectors.forme_a_noter(epreuve, groupe)
    valeurs = {"utilisateur": request.user, "session_id": session.pk, "unite": unite, **filtres}
    lignes = selectors.lignes_a_noter(forme, valeurs)
    if lignes is not None:  # une division ou un établissement choisi : ni plafond à compter, ni compilation
        trop = None
    else:
        qs = selectors.candidats_a_noter(*forme, **valeurs)
        trop = _au_plafond(qs, actifs)
        lignes = [] if trop else selectors.avec_notes(selectors.ordre_de_saisie(qs), unite, groupe)
    categories = selectors.categories_par_statut(session.reglement)
    mods = selectors.modalites_de_l_unite(session.reglement, unite)
    # Échéance de saisie : les lignes closes pour cet utilisateur sont en lecture seule, avec la raison (le serveur
    # refuserait de toute façon) ; le groupe 2, épreuve de contrôle, vient après la délibération.
    fermees = echeances.etats_du_tableau(request.user, session, lignes, unite) if groupe == 1 else {}
    # Session ou jury verrouillé : les lignes de ses candidats en lecture seule, avec la raison que le serveur
    # donnerait à l'envoi (la règle de services.verifier_session_ouverte).
    etablissements = {c.etablissement_id for c in lignes}
    jurys = {} if session.verrouillee else services.jurys_verrouilles([session.pk], etablissements)
    if session.verrouillee:
        raisons_verrou = [services.message_session_verrouillee(session)]
    else:
        raisons_verrou = sorted({services.message_jury_verrouille(nom) for nom in jurys.values()})
    for c in lignes:
        c.verrouille = session.verrouillee or (session.pk, c.etablissement_id) in jurys
        cat = categories.get(c.statut)
        c.modalite = mods.get(cat.code) if cat else None
        c.note_existante = c.note_unite[0] if c.note_unite else None
        decision = fermees.get(c.pk)
        c.close = decision is not None and decision.etat == "close"
        c.proposition = decision is not None and decision.etat == "proposition"
        if decision:
            c.raison_echeance = echeances.message(decision, unite, c.etablissement.nom)
    return render(
        request,
        "examens/saisie_notes.html",
        {
            "session": session,
            "epreuve": epreuve,
            "lignes": lignes,
            "groupe": groupe,
            "actifs": actifs,
            "epreuves": epreuves,
            "divisions": selectors.divisions_filtrables(request.user, session),
            "raisons_echeance": sorted({c.raison_echeance for c in lignes if c.pk in fermees}),
            "raisons_verrou": raisons_verrou,
            **_plafond(request, session, trop, actifs),
        },
    )


@require_POST
@permission_required("examens.change_note", raise_exception=True)
def note_enregistrer(request, pk, unite):
    """Enregistrement d'une cellule (appel de static/js/notes.js) : JSON, validé côté serveur."""
    c = _candidat(request, pk)
    if not perimetre.peut_ecrire_candidat(request.user, c):
        return JsonResponse({"ok": False, "erreur": f"Candidat {c.numero} : {perimetre.HORS_PERIMETRE}."}, status=403)
    groupe = 2 if request.POST.get("groupe") == "2" else 1
    try:
        note = services.saisir_note(
            candidat=c, unite=unite, texte=request.POST.get("note", ""), auteur=request.user, groupe=groupe
        )
    except services.OperationRefusee as e:
        return JsonResponse({"ok": False, "erreur": str(e)}, status=422)
    if isinstance(note, PropositionNote):
        return JsonResponse(
            {"ok": True, "affichage": note.texte, "etat": "proposition enregistrée, en attente de validation"}
        )
    return JsonResponse({"ok": True, "affichage": note.affichage})


# -------------------------------------------------------------------------------------------- jury


@require_POST
@permission_required("examens.deliberer", raise_exception=True)
def jury_note(request, pk):
    c = _candidat_jury(request, pk)
    form = NoteJuryForm(request.POST)
    if not form.is_valid():
        return _page_candidat(request, c, form_note=form)
    try:
        services.saisir_note(
            candidat=c,
            unite=form.cleaned_data["unite"],
            texte=form.cleaned_data["note"],
            groupe=form.cleaned_data["groupe"] or 1,
            auteur=request.user,
            source="jury",
            motif=form.cleaned_data["motif"],
        )
    except services.OperationRefusee as e:
        # Le refus porte sur la note saisie pour cette unité (règle de saisie, session verrouillée entre-temps).
        form.add_error("note", str(e))
        return _page_candidat(request, c, form_note=form)
    messages.success(request, f"Note {form.cleaned_data['unite']} modifiée par le jury.")
    return redirect("examens:candidat", pk=c.pk)


@require_POST
@permission_required("examens.deliberer", raise_exception=True)
def jury_lever_nv(request, pk):
    c = _candidat_jury(request, pk)
    unite, motif = request.POST.get("unite", "")[:5], request.POST.get("motif", "")[:500]
    try:
        services.lever_non_valide(candidat=c, unite=unite, motif=motif, auteur=request.user)
    except services.OperationRefusee as e:
        if Note.objects.filter(candidat=c, unite=unite, groupe=1, etat=Note.Etat.NV).exists():
            return _page_candidat(request, c, erreur_nv={"unite": unite, "motif": motif, "message": str(e)})
        messages.error(request, str(e))  # pas de formulaire de levée pour cette unité où poser l'erreur
        return redirect("examens:candidat", pk=c.pk)
    messages.success(request, "« Non valide » levé : la note de l'unité est à saisir.")
    return redirect("examens:candidat", pk=c.pk)


@require_POST
@permission_required("examens.deliberer", raise_exception=True)
def jury_points(request, pk):
    c = _candidat_jury(request, pk)
    form = PointsJuryForm(request.POST)
    if not form.is_valid():
        return _page_candidat(request, c, form_points=form)
    try:
        services.attribuer_points_jury(
            candidat=c, points=form.cleaned_data["points"], motif=form.cleaned_data["motif"], auteur=request.user
        )
    except services.OperationRefusee as e:
        form.add_error(None, str(e))
        return _page_candidat(request, c, form_points=form)
    messages.success(request, "Points du jury enregistrés.")
    return redirect("examens:candidat", pk=c.pk)


@require_POST
@permission_required("examens.deliberer", raise_exception=True)
def controle_choix(request, pk):
    c = _candidat_jury(request, pk)
    form = ControleForm(request.POST, reglement=c.session.reglement)
    if not form.is_valid():
        return _page_candidat(request, c, form_controle=form)
    try:
        services.choisir_controle(
            candidat=c,
            scientifique=form.cleaned_data["controle_scientifique"],
            francais_hg=form.cleaned_data["controle_francais_hg"],
            auteur=request.user,
        )
    except services.OperationRefusee as e:
        form.add_error(None, str(e))
        return _page_candidat(request, c, form_controle=form)
    messages.success(request, "Unités de l'épreuve de contrôle enregistrées.")
    return redirect("examens:candidat", pk=c.pk)


# ------------------------------------------------------------------------------------ délibération


def _perimetre_jury(request, session: Session):
    """Les candidats visibles, restreints au jury demandé (`?jury=`, ou le seul jury d'un juré) ; et ce jury."""
    jury = jury_demande(request, session)
    return _perimetre_du_jury(request, session, jury), jury


def _perimetre_du_jury(request, session: Session, jury):
    qs = _perimetre(request, session)
    if jury is not None:
        qs = qs.filter(pk__in=candidats_du_jury(jury).values("pk"))
    return qs


@permission_required("examens.deliberer", raise_exception=True)
def deliberation(request, annee):
    session = _session(annee)
    jury = jury_demande(request, session)
    filtres, actifs = selectors.lire_filtres(request.GET)
    candidats = selectors.deliberation_figee(request.user, session, filtres) if jury is None else None
    if candidats is not None:  # une division ou un établissement, sans jury : une requête compilée une fois
        trop = None
    else:
        qs = selectors.appliquer_filtres(_perimetre_du_jury(request, session, jury), **filtres)
        trop = _au_plafond(qs, actifs)
        candidats = [] if trop else list(selectors.candidats_de_la_salle(qs))
    resultats = selectors.resultats_lus(candidats)
    par_decision = {code: [] for code in selectors.DECISIONS}
    for r in resultats:
        par_decision.setdefault(r.decision, []).append(r)
    # --- Salle du jury (issue #17, partie 4) : raisons, écarts aux seuils, décisions par établissement et division.
    salle = (
        None if trop else selectors.salle_du_jury(candidats, session, {r.candidat_id: r.empreinte for r in resultats})
    )
    for r in resultats:
        r.jury = salle["lignes"].get(r.candidat_id)
    # --- fin de la salle du jury
    return render(
        request,
        "examens/deliberation.html",
        {
            "salle": salle,
            "session": session,
            "resultats": resultats,
            "a_examiner": selectors.a_examiner(resultats),
            "par_decision": [
                (code, selectors.DECISIONS.get(code, code), liste) for code, liste in par_decision.items()
            ],
            "actifs": actifs,
            "mentions": selectors.MENTIONS,
            "decisions": selectors.DECISIONS,
            "divisions": selectors.divisions_filtrables(request.user, session),
            **_plafond(request, session, trop, actifs),
            **contexte_jury(request, jury),
        },
    )


@require_POST
@permission_required("examens.deliberer", raise_exception=True)
def deliberer(request, annee):
    """Recalcul de contrôle : les résultats sont déjà à jour, il dit combien ont changé. Toute la session pour
    l'administrateur ; sinon les candidats que l'utilisateur voit, ceux du jury demandé (`?jury=`)."""
    session = _session(annee)
    candidats, jury = _perimetre_jury(request, session)
    if perimetre.voit_tout(request.user) and jury is None:
        candidats = None
    try:
        deliberation = services.deliberer(session=session, auteur=request.user, candidats=candidats)
    except services.OperationRefusee as e:
        messages.error(request, str(e))
    else:
        changes = deliberation.changes
        portee = f"Jury {jury.nom} recalculé" if jury else ("Session recalculée" if candidats is None else "Recalculé")
        messages.success(
            request,
            f"{portee} : {len(deliberation)} candidats, "
            + (
                "aucun résultat n'a changé (ils étaient à jour)."
                if not changes
                else f"{changes} résultat{'s' if changes > 1 else ''} mis à jour."
            ),
        )
    return redirect(reverse("examens:deliberation", args=[annee]) + (f"?jury={jury.pk}" if jury else ""))


@require_POST
@permission_required("examens.verrouiller", raise_exception=True)
def verrouiller(request, annee):
    """Verrouille après un recalcul complet ; si un résultat change, la liste s'affiche et le jury confirme."""
    session = _session(annee)
    try:
        services.verrouiller(session=session, auteur=request.user, confirmation=request.POST.get("confirmation", ""))
    except services.ResultatsAChanger as e:
        return render(
            request,
            "examens/verrouiller_confirmer.html",
            {"session": session, "differences": e.differences, "jeton": e.jeton, "message": str(e)},
        )
    except services.OperationRefusee as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Délibération de la session {annee} verrouillée : plus aucune note ne peut changer.")
    return redirect("examens:deliberation", annee=annee)


@require_POST
@permission_required("examens.deverrouiller", raise_exception=True)
def deverrouiller(request, annee):
    try:
        services.deverrouiller(session=_session(annee), auteur=request.user, motif=request.POST.get("motif", ""))
    except services.OperationRefusee as e:
        messages.error(request, str(e))
    else:
        messages.warning(request, f"Session {annee} déverrouillée. Le motif est enregistré au journal.")
    return redirect("examens:deliberation", annee=annee)


# ---------------------------------------------------------------------------------- exports, documents


@permission_required("examens.exporter", raise_exception=True)
def export_resultats(request, annee, format):
    if format not in ("csv", "xlsx"):
        raise Http404("Format inconnu")
    session = _session(annee)
    entete, lignes = exports.resultats(session, _perimetre(request, session))
    nom = f"resultats-agora-{annee}"
    if format == "xlsx":
        reponse = HttpResponse(
            exports.en_xlsx(entete, lignes),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        reponse["Content-Disposition"] = f'attachment; filename="{nom}.xlsx"'
        return reponse
    reponse = HttpResponse(exports.en_csv(entete, lignes), content_type="text/csv; charset=utf-8")
    reponse["Content-Disposition"] = f'attachment; filename="{nom}.csv"'
    return reponse


@permission_required("examens.view_candidat", raise_exception=True)
def releve(request, pk):
    c = _candidat(request, pk)
    if not request.user.has_perm("examens.exporter"):
        raise Http404  # la note proposée en CCF ne se communique pas : relevé réservé au bureau des examens
    return render(
        request,
        "examens/releve.html",
        {
            "c": c,
            "session": c.session,
            **selectors.fiche_candidat(c),
            "resultat": Resultat.objects.filter(candidat=c).first(),
            "decisions": selectors.DECISIONS,
            "mentions": selectors.MENTIONS,
        },
    )


@permission_required("examens.exporter", raise_exception=True)
def proces_verbal(request, annee):
    """Le procès-verbal à l'écran, par pages de 200 lignes (une session nationale en compte 25 000 : 3,8 Mo et
    2,6 s d'un bloc) ; les totaux viennent d'un agrégat SQL, le PDF contient toujours tout le procès-verbal."""
    session = _session(annee)
    base, jury = _perimetre_jury(request, session)
    qs, actifs = selectors.filtrer_candidats(base, request.GET)
    resultats = Resultat.objects.filter(candidat__in=qs)
    par_decision = dict(resultats.values_list("decision").annotate(n=Count("id")).order_by())
    # Seules les colonnes affichées : la trace et l'empreinte (≈ 900 octets par ligne) faisaient trier 27 Mo sur
    # disque pour une page d'une session nationale. Le nombre de lignes est la somme de l'agrégat par décision.
    paginateur = Paginator(
        resultats.select_related("candidat__etablissement").only(*COLONNES_PV).order_by("candidat__numero"),
        LIGNES_PV,
    )
    paginateur.count = sum(par_decision.values())
    page = paginateur.get_page(request.GET.get("page"))
    return render(
        request,
        "examens/proces_verbal.html",
        {
            "session": session,
            "page": page,
            "resultats": page.object_list,
            "total": page.paginator.count,
            "totaux": [(libelle, par_decision.get(code, 0)) for code, libelle in selectors.DECISIONS.items()],
            "decisions": selectors.DECISIONS,
            "mentions": selectors.MENTIONS,
            "actifs": actifs,
            "parametres": "&".join(f"{k}={v}" for k, v in (actifs | ({"jury": jury.pk} if jury else {})).items()),
            "etablissements": selectors.etablissements_visibles(request.user, session),
            **contexte_jury(request, jury),
        },
    )


LIGNES_PV = 200
COLONNES_PV = (
    "points",
    "moyenne",
    "decision",
    "mention",
    "candidat__numero",
    "candidat__nom",
    "candidat__prenom",
    "candidat__etablissement__uai",
)


@permission_required("examens.view_session", raise_exception=True)
def journal(request, annee):
    session = _session(annee)
    if not request.user.has_perm("examens.exporter"):
        raise Http404
    entrees = selectors.journal_visible(request.user, session, _perimetre(request, session))
    filtre = journal_lisible.FiltreJournal(request.GET or None, queryset=entrees)
    if filtre.is_bound and filtre.is_valid():
        entrees = filtre.qs
    if request.GET.get("format") == "csv":
        # Les colonnes de la page, à l'heure de Paris ; écrit par lots pour un journal national.
        sortie = io.StringIO()
        ecrivain = csv.writer(sortie, delimiter=";")
        ecrivain.writerow(["date", "auteur", "candidat", "action", "détail", "motif"])
        lot: list[Journal] = []
        for e in entrees.iterator(chunk_size=2000):
            lot.append(e)
            if len(lot) == 2000:
                _ecrire_journal(ecrivain, lot, annee)
                lot = []
        _ecrire_journal(ecrivain, lot, annee)
        reponse = HttpResponse("\ufeff" + sortie.getvalue(), content_type="text/csv; charset=utf-8")
        reponse["Content-Disposition"] = f'attachment; filename="journal-agora-{annee}.csv"'
        return reponse
    page = Paginator(entrees, 50).get_page(request.GET.get("page"))
    parametres = request.GET.copy()
    parametres.pop("page", None)
    return render(
        request,
        "examens/journal.html",
        {
            "session": session,
            "page": page,
            "lignes": journal_lisible.lisibles(list(page), annee),
            "filtre": filtre if filtre.is_bound else journal_lisible.FiltreJournal(queryset=entrees),
            "parametres": parametres.urlencode(),
        },
    )


def _ecrire_journal(ecrivain, entrees: list, annee: int) -> None:
    for ligne in journal_lisible.lisibles(entrees, annee):
        ecrivain.writerow(
            [
                neutraliser_formule(x)
                for x in (ligne.quand, ligne.qui, ligne.candidat, ligne.quoi, ligne.detail, ligne.entree.motif)
            ]
        )


# ---------------------------------------------------------------------------------------- imports


@permission_required("examens.importer", raise_exception=True)
def importer(request, annee):
    """Étape 1 : téléverser ; étape 2 : aperçu de ce qui changera ; étape 3 : confirmer."""
    form = ImportForm(request.POST or None, request.FILES or None)
    contexte = {"annee": annee, "form": form}
    contexte["session"] = Session.objects.filter(annee=annee).first()  # onglets ; l'import peut créer la session
    if request.method == "POST" and form.is_valid():
        fichier = form.cleaned_data["fichier"]
        contenu = fichier.read()
        type_ = form.cleaned_data["type"]
        fonction = imports.importer_candidats if type_ == "candidats" else imports.importer_notes
        try:
            bilan = fonction(contenu=contenu, nom_fichier=fichier.name, annee=annee, auteur=request.user, apercu=True)
        except imports.ImportRefuse as refus:
            contexte["erreurs"] = refus.erreurs
        else:
            contexte.update(_apercu_depose(request, annee, contenu, fichier.name, type_, bilan))
    return render(request, "examens/importer.html", contexte)


def _apercu_depose(request, annee: int, contenu: bytes, nom: str, type_: str, bilan) -> dict:
    """Range le fichier de l'aperçu et, dans la session du navigateur, l'empreinte de ce qu'il montre : la
    confirmation n'écrira que si l'import fait toujours exactement cela."""
    suffixe = ".xlsx" if nom.lower().endswith(".xlsx") else ".csv"
    jeton = apercus.deposer(contenu, suffixe)
    request.session[f"import-{jeton}"] = {
        "type": type_,
        "nom": nom,
        "suffixe": suffixe,
        "annee": annee,
        "empreinte": imports.empreinte(bilan),
    }
    return {
        "bilan": bilan,
        "jeton": jeton,
        "nom": nom,
        "type": type_,
        "format_fichier": tableaux.decrire(contenu, nom),
    }


@require_POST
@permission_required("examens.importer", raise_exception=True)
def importer_confirmer(request, annee, jeton):
    infos = request.session.pop(f"import-{jeton}", None)
    if infos is None or infos["annee"] != annee:
        messages.error(request, "Cet import a expiré ou a déjà été confirmé : téléversez à nouveau le fichier.")
        return redirect("examens:importer", annee=annee)
    contenu = apercus.prendre(jeton, infos["suffixe"])
    if contenu is None:  # double clic : l'autre requête l'a pris ; ou aperçu de plus de 24 h, purgé
        messages.error(request, "Cet import a déjà été confirmé ou a expiré : rien n'a été importé une seconde fois.")
        return redirect("examens:importer", annee=annee)
    fonction = imports.importer_candidats if infos["type"] == "candidats" else imports.importer_notes
    contexte = {"annee": annee, "form": ImportForm(), "session": Session.objects.filter(annee=annee).first()}
    try:
        bilan = fonction(
            contenu=contenu, nom_fichier=infos["nom"], annee=annee, auteur=request.user, attendu=infos.get("empreinte")
        )
    except imports.ImportRefuse as refus:
        return render(request, "examens/importer.html", {**contexte, "erreurs": refus.erreurs})
    except imports.ApercuPerime as perime:
        # Une note saisie ou un autre import entre l'aperçu et la confirmation : rien n'est écrit, le nouvel
        # aperçu est montré, à confirmer à nouveau.
        contexte.update(_apercu_depose(request, annee, contenu, infos["nom"], infos["type"], perime.bilan))
        contexte["apercu_perime"] = True
        return render(request, "examens/importer.html", contexte)
    messages.success(
        request,
        f"Import de {infos['nom']} terminé : {pluriel(bilan.crees, 'créé')}, {pluriel(bilan.modifies, 'modifié')}, "
        f"{pluriel(bilan.inchanges, 'inchangé')}.",
    )
    return redirect("examens:session", annee=annee)


@permission_required("examens.importer", raise_exception=True)
def importer_modele(request, annee, sorte, extension):
    """Le modèle vide d'un import : XLSX à listes déroulantes ou CSV UTF-8 « ; »."""
    if extension not in ("xlsx", "csv"):
        raise Http404("Format de modèle inconnu : xlsx ou csv.")
    if sorte == "candidats":
        modele = modeles_import.modele_candidats()
    elif sorte == "notes":
        session = Session.objects.filter(annee=annee).select_related("reglement").first()
        reglement = session.reglement if session else services.reglement_pour(annee)
        if reglement is None:
            raise Http404(f"Aucun règlement d'examen ne couvre la session {annee}.")
        modele = modeles_import.modele_notes(reglement)
    else:
        raise Http404("Modèle d'import inconnu : candidats ou notes.")
    if extension == "xlsx":
        contenu = modeles_import.en_xlsx(modele)
        type_mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        contenu, type_mime = modeles_import.en_csv(modele), "text/csv; charset=utf-8"
    reponse = HttpResponse(contenu, content_type=type_mime)
    reponse["Content-Disposition"] = f'attachment; filename="modele-{sorte}-{annee}.{extension}"'
    return reponse
