"""Les tableaux des pages chaudes construits en Python (issue #23) : chaque valeur échappée, les adresses justes, et
les lectures compilées une fois (liste, saisie des notes, délibération) rendant les mêmes lignes que l'ORM.

Le HTML de ces lignes a été comparé octet pour octet à celui des gabarits qu'elles remplacent, sur la base du banc
(25 000 candidats) ; ces tests gardent ce qui compte : l'échappement, les adresses, les nombres, les états."""

import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from agora.lignes import ligne, modele_adresse
from examens import selectors
from examens.models import Candidat, Note, Resultat
from examens.templatetags.agora_grille import lignes_historique
from tests import fabriques
from tests.examens.test_deliberation import noter

pytestmark = pytest.mark.django_db

PIEGE = '<script>alert("x")</script>'
TOUT_DOUZE = ["12"] * 12


def test_une_ligne_echappe_chaque_valeur_sauf_ce_qui_est_deja_sur():
    from django.utils.safestring import mark_safe

    assert str(ligne("<td>{a}</td><td>{b}</td><td>{c}</td>", a=PIEGE, b=mark_safe("<b>x</b>"), c=3)) == (
        "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td><td><b>x</b></td><td>3</td>"
    )
    assert str(ligne("{a}", a="l'été & <b>")) == "l&#x27;été &amp; &lt;b&gt;"  # comme django.utils.html.escape


def test_le_modele_d_adresse_donne_l_adresse_de_reverse_pour_chaque_cle():
    modele = modele_adresse("examens:note-enregistrer", None, "U51")
    assert modele.format(42) == reverse("examens:note-enregistrer", args=[42, "U51"])
    assert modele_adresse("examens:simulateur", 2026, None).format(7) == reverse("examens:simulateur", args=[2026, 7])


@pytest.mark.parametrize(
    "nom, args",
    [
        ("accueil", ()),
        ("logout", ()),
        ("examens:candidats", (2026,)),
        ("examens:grille", (417, 1, 2)),
        ("examens:grille-confirmer", (0, 2147483000, 1)),
        ("examens:export-resultats", (2026, "csv")),  # une chaîne : reverse() lui-même
        ("examens:saisie-notes", (2026, "U51")),
    ],
)
def test_l_adresse_gardee_est_celle_de_reverse(nom, args):
    """`adresse` (le {% adresse %} des pages chaudes) rend ce que rend reverse(), sous un préfixe d'adresse aussi
    (SCRIPT_NAME), sans servir l'adresse gardée d'un autre préfixe ; un argument qui n'est pas un entier positif
    passe par reverse(), qui refuse ce qu'il refuse."""
    from django.urls import NoReverseMatch, get_script_prefix, set_script_prefix

    from agora.lignes import adresse

    assert adresse(nom, *args) == reverse(nom, args=args)
    avant = get_script_prefix()
    set_script_prefix("/agora/")
    try:
        assert adresse(nom, *args) == reverse(nom, args=args) and adresse(nom, *args).startswith("/agora/")
    finally:
        set_script_prefix(avant)
    assert adresse(nom, *args) == reverse(nom, args=args)
    if args:
        with pytest.raises(NoReverseMatch):
            adresse(nom, *args[:-1], -1) if type(args[-1]) is int else adresse(nom, *args, 5)


def test_les_tableaux_du_bureau_echappent_les_noms(comptes):
    piege = fabriques.candidat(division=comptes.division_a, nom=PIEGE, prenom="<i>Zoé</i>")
    noter(piege, ["9"] * 12)
    client = comptes.client(comptes.academie)
    division = f"?division={comptes.division_a.pk}"
    for adresse in (
        reverse("examens:candidats", args=[2026]) + division,
        reverse("examens:saisie-notes", args=[2026, "U51"]) + division,
        reverse("examens:deliberation", args=[2026]) + division,
    ):
        html = client.get(adresse).content.decode()
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, adresse
        assert PIEGE not in html and "<i>Zoé</i>" not in html and "&lt;i&gt;Zoé&lt;/i&gt;" in html, adresse
    html = client.get(reverse("examens:candidats", args=[2026]) + division).content.decode()
    assert f'<a href="{reverse("examens:candidat", args=[piege.pk])}">{piege.numero}</a>' in html


def test_la_premiere_page_compte_toute_la_selection_et_la_suivante_la_suite(comptes):
    for i in range(53):
        fabriques.candidat(division=comptes.division_a, nom=f"NOM{i:02d}")
    fabriques.candidat(division=comptes.division_c, nom="AILLEURS")
    client = comptes.client(comptes.administrateur)
    adresse = reverse("examens:candidats", args=[2026]) + f"?division={comptes.division_a.pk}&tri=-nom"
    premiere = client.get(adresse)
    assert premiere.context["page"].paginator.count == 53
    assert [c.nom for c in premiere.context["page"]][:2] == ["NOM52", "NOM51"]
    assert len(premiere.context["page"]) == 50 and "Page 1 / 2" in premiere.content.decode()
    seconde = client.get(adresse + "&page=2")
    assert [c.nom for c in seconde.context["page"]] == ["NOM02", "NOM01", "NOM00"]
    assert seconde.context["page"].paginator.count == 53
    # Un filtre qui ne se compile pas (la recherche) : l'ORM, même compte.
    cherche = client.get(adresse + "&q=NOM5")
    assert cherche.context["page"].paginator.count == 3
    # Aucune ligne : zéro, pas d'erreur.
    vide = client.get(adresse + "&decision=admis")
    assert vide.context["page"].paginator.count == 0 and "Aucun candidat ne correspond." in vide.content.decode()


@pytest.mark.parametrize(
    ("unite", "groupe"),
    [("U51", 1), ("UF1", 1), ("U11", 2)],
    ids=["ponctuelle", "facultative", "controle"],
)
def test_les_lignes_a_noter_compilees_sont_celles_de_l_orm(comptes, unite, groupe):
    fabriques.candidat(division=comptes.division_a, nom="SANS")
    avec = fabriques.candidat(division=comptes.division_a, nom="AVEC", facultative1="EPS", controle_scientifique="U11")
    noter(avec, TOUT_DOUZE)
    Note.objects.create(candidat=avec, unite="UF1", valeur=14)
    fabriques.candidat(division=comptes.division_c, nom="AUTRE LYCEE")
    session = avec.session
    epreuve = next(e for e in selectors.epreuves_notees(session.reglement) if e.unite.code == unite)
    forme = selectors.forme_a_noter(epreuve, groupe)
    lus = {}
    for utilisateur in (comptes.gestionnaire, comptes.administrateur, comptes.gestionnaire_autre):
        valeurs = {
            "utilisateur": utilisateur,
            "session_id": session.pk,
            "unite": unite,
            "division": comptes.division_a.pk,
        }
        compilees = selectors.lignes_a_noter(forme, valeurs)
        orm = selectors.avec_notes(
            selectors.ordre_de_saisie(selectors.candidats_a_noter(*forme, **valeurs)), unite, groupe
        )
        assert [(c.pk, [n.pk for n in c.note_unite]) for c in compilees] == [
            (c.pk, [n.pk for n in c.note_unite]) for c in orm
        ]
        lus[utilisateur.username] = [c.nom for c in compilees]
    attendus = {"U51": ["AVEC", "SANS"], "UF1": ["AVEC"], "U11": ["AVEC"]}[unite]
    assert lus == {"gest": attendus, "admin": attendus, "gest2": []}  # gest2 : gestionnaire d'un autre lycée


def test_la_deliberation_compilee_lit_les_memes_resultats_que_l_orm(comptes):
    for notes in (TOUT_DOUZE, ["9"] * 12, ["ABS"] + ["12"] * 11):
        noter(fabriques.candidat(division=comptes.division_a), notes)
    noter(fabriques.candidat(division=comptes.division_c), TOUT_DOUZE)
    session = fabriques.session()
    for utilisateur in (comptes.academie, comptes.administrateur, comptes.gestionnaire, comptes.gestionnaire_autre):
        filtres = {"division": comptes.division_a.pk}
        candidats = selectors.deliberation_figee(utilisateur, session, filtres)
        qs = selectors.candidats_filtres(utilisateur=utilisateur, session_id=session.pk, **filtres)
        assert [c.pk for c in candidats] == [c.pk for c in selectors.candidats_de_la_salle(qs)]
        resultats = selectors.resultats_lus(candidats)
        assert [r.pk for r in resultats] == list(
            Resultat.objects.filter(candidat__in=qs).order_by("candidat__numero").values_list("pk", flat=True)
        )
        assert all(r.candidat is c for r, c in zip(resultats, candidats, strict=True))
    assert selectors.deliberation_figee(comptes.academie, session, {"q": "x", "division": 1}) is None
    assert selectors.deliberation_figee(comptes.academie, session, {"statut": "scolaire_public"}) is None


def test_les_lignes_d_historique_echappent_coupent_et_disent_l_heure_locale():
    instant = datetime.datetime(2026, 6, 1, 8, 5, 9, tzinfo=datetime.UTC)  # 10:05:09 à Paris (heure d'été)
    h = SimpleNamespace(
        date=instant,
        auteur_nom="",
        auteur="prof<1>",
        libelle_action="Niveau",
        objet="compétence 3",
        avant="",
        apres="x" * 100,
        motif=PIEGE,
    )
    with timezone.override("Europe/Paris"):
        html = str(lignes_historique([h]))
    assert '<td class="text-nowrap">01/06/2026 10:05:09</td><td>prof&lt;1&gt;</td>' in html
    assert "<td>Niveau · compétence 3</td>" in html and "<td>∅</td>" in html
    assert f"<td>{'x' * 79}…</td>" in html and "&lt;script&gt;" in html and PIEGE not in html


def test_un_gestionnaire_ne_lit_par_la_liste_compilee_que_son_etablissement(comptes):
    fabriques.candidat(division=comptes.division_c, nom="AILLEURS")
    client = comptes.client(comptes.gestionnaire)
    page = client.get(reverse("examens:candidats", args=[2026]) + f"?division={comptes.division_c.pk}")
    assert page.status_code == 200 and "AILLEURS" not in page.content.decode()
    assert page.context["page"].paginator.count == 0
    assert Candidat.objects.filter(nom="AILLEURS").exists()


def test_les_donnees_du_reglement_sont_lues_une_fois_et_sont_celles_de_la_base(django_assert_num_queries):
    """Catégories, épreuves notées et modalités d'un règlement : gardées par processus (ces lignes ne changent
    jamais), sous la clé (règlement, empreinte) ; chaque appel rend une liste neuve."""
    from examens.models import CategorieCandidat, Epreuve, ModaliteEpreuve

    reglement = fabriques.session().reglement
    selectors._donnees_reglement.cache_clear()
    with django_assert_num_queries(3):
        epreuves = selectors.epreuves_notees(reglement)
    with django_assert_num_queries(0):
        assert selectors.epreuves_notees(reglement) == epreuves
        categories = selectors.categories(reglement)
        par_statut = selectors.categories_par_statut(reglement)
        modalites = selectors.modalites(reglement)
        u51 = selectors.modalites_de_l_unite(reglement, "U51")
    assert [e.pk for e in epreuves] == list(
        Epreuve.objects.filter(reglement=reglement, unite__isnull=False).order_by("ordre").values_list("pk", flat=True)
    )
    assert [c.pk for c in categories] == list(
        CategorieCandidat.objects.filter(reglement=reglement).values_list("pk", flat=True)
    )
    assert par_statut == {s: c for c in categories for s in c.statuts}
    en_base = ModaliteEpreuve.objects.filter(epreuve__reglement=reglement, epreuve__unite__isnull=False)
    assert {cle: m.pk for cle, m in modalites.items()} == {
        (m.epreuve.unite.code, m.categorie.code): m.pk for m in en_base.select_related("epreuve__unite", "categorie")
    }
    assert {code: m.pk for code, m in u51.items()} == {
        m.categorie.code: m.pk for m in en_base.filter(epreuve__unite__code="U51").select_related("categorie")
    }
    assert u51 and set(u51) <= {c.code for c in categories}
    epreuves.clear()  # la liste rendue est à l'appelant : la suivante est entière
    assert selectors.epreuves_notees(reglement) != []
    # Une autre empreinte (un autre fichier) n'est jamais servie par la lecture gardée.
    with django_assert_num_queries(3):
        selectors._donnees_reglement(reglement.pk, "autre-empreinte")


def test_le_menu_des_unites_est_celui_du_gabarit(comptes):
    """Le menu des unités du tableau de saisie, construit en Python : « code — intitulé » en capitales accentuées,
    coupé à 50 caractères comme truncatechars, l'unité affichée choisie."""
    from django.template.defaultfilters import truncatechars
    from django.utils.html import escape

    from examens.templatetags.agora_format import capitales
    from examens.templatetags.agora_lignes import options_unites

    epreuves = selectors.epreuves_notees(fabriques.session().reglement)
    choisie = next(e for e in epreuves if e.unite.code == "U51")
    html = str(options_unites(epreuves, choisie))
    for e in epreuves:
        attendu = escape(truncatechars(capitales(e.intitule), 50))
        selection = "selected" if e is choisie else ""
        assert f'<option value="{e.unite.code}" {selection}>{e.unite.code} — {attendu}</option>' in html
    assert html.count("selected") == 1 and html.count("<option") == len(epreuves)
    page = comptes.client(comptes.academie).get(reverse("examens:saisie-notes", args=[2026, "U51"])).content.decode()
    assert html in page


def test_une_liste_echappee_d_un_coup_est_celle_d_une_ligne_a_la_fois():
    from django.utils.safestring import mark_safe

    from agora.lignes import echapper, elements_de_liste

    def une_a_une(textes):
        return "".join(f"<li>{echapper(t)}</li>" for t in textes)

    for textes in (
        [],
        ["seule"],
        [PIEGE, "l'unité U31 & <b>", 'guillemets "doubles"', ""],
        ["avec \x00 nul", "<x>"],  # le séparateur dans un texte : une ligne à la fois
        [mark_safe("<b>sûr</b>"), "<i>"],  # une SafeString n'est pas échappée deux fois
        ["9,99", 12],  # autre chose qu'une chaîne
    ):
        assert elements_de_liste(textes) == une_a_une(textes), textes
    assert elements_de_liste([PIEGE, "b"]) == "<li>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</li><li>b</li>"


def test_le_tableau_de_reussite_echappe_et_laisse_vides_les_zeros():
    from examens.templatetags.agora_lignes import ligne_taux_totale, lignes_taux

    lycee = selectors.TauxGroupe(PIEGE, total=3)
    lycee.par_decision.update({"admis": 2, "refuse": 1})
    vide = selectors.TauxGroupe("Sans division", total=1)
    vide.par_decision.update({"incomplet": 1})  # aucun délibéré : pas de taux
    html = str(lignes_taux([lycee, vide]))
    colonnes = "".join(f'<td class="nombre">{lycee.par_decision[code] or ""}</td>' for code in selectors.DECISIONS)
    assert html.startswith(
        '<tr><th scope="row" class="fw-normal">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</th>'
        f'<td class="nombre">3</td>{colonnes}<td class="nombre">66,6&nbsp;%</td></tr>'
    )
    assert '<td class="nombre">—</td></tr>' in html and PIEGE not in html
    assert str(ligne_taux_totale(lycee)).startswith('<tr><th scope="row">&lt;script&gt;')


def test_l_en_tete_de_session_et_le_menu_gardes_rendus_sont_ceux_rendus_a_neuf(comptes):
    """L'en-tête des pages d'une session et le menu sont gardés rendus ({% cache %}) : leur clé dit tout ce dont ils
    dépendent. Pour des rôles, des onglets et des rubriques qui se suivent, puis la session verrouillée, chacun est
    celui que rend le gabarit sans rien garder (DummyCache) : jamais celui d'un autre cas."""
    from django.core.cache import cache
    from django.test import override_settings

    cache.clear()
    candidats = reverse("examens:candidats", args=[2026])
    deliberation = reverse("examens:deliberation", args=[2026])

    def morceaux(user, adresse):
        html = comptes.client(user).get(adresse).content.decode()
        assert "{#" not in html and "{%" not in html and "issue #23" not in html  # aucun commentaire affiché
        entete = html.split('<ul class="nav nav-pills small">')[1].split("</ul>")[0] if "nav-pills" in html else ""
        menu = html.split('<ul class="navbar-nav me-auto">')[1].split("</ul>")[0]
        return entete, menu, "délibération verrouillée" in html

    def visiter(user, adresse):
        garde = morceaux(user, adresse)
        with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
            assert garde == morceaux(user, adresse), (user.username, adresse)
        entete, menu, verrou = garde
        actif = entete.split('active" aria-current="page"')[1].split(">")[1].split("<")[0] if entete else None
        rubrique = (
            menu.split('active" aria-current="page"')[1].split(">")[1].split("<")[0] if "active" in menu else None
        )
        return entete.count("nav-item"), actif, verrou, menu.count("nav-item"), rubrique

    assert visiter(comptes.academie, deliberation)[:3] == (9, "Délibération", False)
    assert visiter(comptes.academie, candidats)[:3] == (9, "Candidats", False)
    assert visiter(comptes.enseignant, candidats)[:3] == (2, "Candidats", False)  # ni notes, ni jury, ni documents
    assert visiter(comptes.gestionnaire, candidats)[3:] == (6, "Sessions")
    assert visiter(comptes.gestionnaire, reverse("examens:commissions"))[3:] == (6, "Grilles CCF")
    visiter(comptes.academie, candidats)
    comptes.division_a.session.__class__.objects.filter(annee=2026).update(verrouillee=True)
    assert visiter(comptes.academie, deliberation)[:3] == (9, "Délibération", True)


def test_les_options_d_un_filtre_echappent_et_choisissent_celle_de_l_adresse():
    from examens.templatetags.agora_lignes import options_filtre

    objets = [SimpleNamespace(pk=3, nom=PIEGE), SimpleNamespace(pk=12, nom="2nde A")]
    assert options_filtre(objets, "12") == (
        '<option value="3" >&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</option>'
        '<option value="12" selected>2nde A</option>'
    )
    assert "selected" not in options_filtre(objets, "") and "selected" not in options_filtre(objets, "012")
