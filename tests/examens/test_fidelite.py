"""Fidélité au règlement, deuxième passe : chaque test cite la phrase de l'arrêté qu'il met en œuvre."""

from decimal import Decimal

import pytest

from examens import imports, regles, services
from examens.models import Note, Resultat
from tests import fabriques
from tests.examens.outils import UNITES, csv_bytes

pytestmark = pytest.mark.django_db

ENTETE_CONSERVEES = "numero_candidat;unite;note;groupe;session_origine;specialite_origine"


def _importer(*lignes, entete=ENTETE_CONSERVEES):
    return imports.importer_notes(contenu=csv_bytes(entete, *lignes), nom_fichier="n.csv", annee=2026)


def _refus(*lignes, entete=ENTETE_CONSERVEES) -> list[str]:
    with pytest.raises(imports.ImportRefuse) as refus:
        _importer(*lignes, entete=entete)
    return [e.message for e in refus.value.erreurs]


# ---------------------------------------------------------------------------------------------------
# 1. Annexe IV : la langue vivante facultative de Gestion-Administration ; article 9 : dernière session GA 2022
# ---------------------------------------------------------------------------------------------------


def test_la_langue_facultative_ga_va_sur_l_unite_facultative_de_langue_du_candidat():
    """Annexe IV : « Epreuve facultative de langues vivantes » (GA) ↔ épreuve facultative de langue vivante (AGOrA)."""
    c = fabriques.candidat(numero="A001", facultative1="EPS", facultative2="LV:it")
    _importer("A001;UF;15;1;2021;GA")
    note = Note.objects.get(candidat=c, unite="UF2")
    assert (note.valeur, note.origine, note.unite_origine, note.session_origine) == (
        Decimal(15),
        "conservee_ga",
        "UF",
        2021,
    )


def test_la_langue_facultative_ga_est_refusee_sans_langue_facultative_choisie():
    fabriques.candidat(numero="A001", facultative1="EPS")
    assert _refus("A001;UF;15;1;2021;GA") == [
        "unite GA UF (langue vivante facultative) : le candidat n'a choisi aucune langue vivante facultative "
        "(facultatives LV:<code>), la note n'a pas où être reportée"
    ]


def test_aucune_note_ga_apres_la_derniere_session_ga():
    """Article 9 : « La dernière session d'examen du baccalauréat professionnel spécialité « Gestion-Administration »
    […] aura lieu en 2022. »"""
    c = fabriques.candidat(numero="A001", forme="progressive", statut="fpc_prive")
    assert _refus("A001;U11;12;1;2023;GA") == [
        "session_origine 2023 : la dernière session Gestion-Administration a eu lieu en 2022 "
        "(arrêté du 18 février 2020, article 9)"
    ]
    _importer("A001;U11;12;1;2022;GA")
    assert Note.objects.get(candidat=c, unite="U11").origine == "conservee_ga"


# ---------------------------------------------------------------------------------------------------
# 2. Annexe II c : « non valide » en E31 et E32 ponctuelles seulement, et le jury ne le remplace pas par une note
# ---------------------------------------------------------------------------------------------------

NV_AILLEURS = (
    "NV : « non valide » ne se prononce qu'en E31 et E32 passées en ponctuel, faute des justificatifs "
    "administratifs (annexe II c)"
)


def test_nv_seulement_en_e31_e32_ponctuelles_par_toutes_les_portes(comptes):
    """Annexe II c (E31, E32, forme ponctuelle) : « En cas de non-production des éléments administratifs nécessaires
    pour se présenter à l'examen […], la mention « non valide » est prononcée ». Aucune autre épreuve ne la prévoit."""
    scolaire = fabriques.candidat(numero="A001", division=comptes.division_a)  # E31 en CCF
    ponctuel = fabriques.candidat(numero="A002", division=comptes.division_a, statut="fpc_prive")  # E31 ponctuelle
    assert _refus("A001;U31;NV", entete="numero_candidat;unite;note") == [NV_AILLEURS]
    assert _refus("A002;U11;NV", entete="numero_candidat;unite;note") == [NV_AILLEURS]
    client = comptes.client(comptes.academie)
    reponse = client.post(f"/examens/candidats/{scolaire.pk}/notes/U31/", {"note": "NV"})
    assert reponse.status_code == 422 and reponse.json()["erreur"] == NV_AILLEURS
    _importer("A002;U31;NV", entete="numero_candidat;unite;note")
    assert Note.objects.get(candidat=ponctuel, unite="U31").etat == "NV"


def test_le_jury_ne_remplace_pas_nv_par_une_note_il_le_leve_avec_un_motif(comptes):
    """Annexe II c : « la mention « non valide » est prononcée et est signifiée au candidat. Le diplôme ne peut pas
    lui être délivré. » Le jury lève le « non valide » seulement si les justificatifs sont produits."""
    c = fabriques.candidat(division=comptes.division_a, statut="fpc_prive")
    services.ecrire_notes(
        saisies=[
            services.SaisieNote(
                candidat=c, unite=u, etat="NV" if u == "U32" else "note", valeur=None if u == "U32" else Decimal(12)
            )
            for u in UNITES
        ],
        source="test",
    )
    assert Resultat.objects.get(candidat=c).decision == "non_delivrable"
    with pytest.raises(services.OperationRefusee, match="ne remplace pas le « non valide » par une note"):
        services.saisir_note(candidat=c, unite="U32", texte="14", auteur=comptes.academie, source="jury", motif="m")
    with pytest.raises(services.OperationRefusee, match="motif"):
        services.lever_non_valide(candidat=c, unite="U32", motif=" ", auteur=comptes.academie)
    services.lever_non_valide(
        candidat=c, unite="U32", motif="attestation de formation produite le 2 juin", auteur=comptes.academie
    )
    assert not Note.objects.filter(candidat=c, unite="U32").exists()
    assert Resultat.objects.get(candidat=c).decision == "incomplet"
    services.saisir_note(candidat=c, unite="U32", texte="14", auteur=comptes.academie, source="jury", motif="m")
    assert Resultat.objects.get(candidat=c).decision == "admis"
    from examens.models import HistoriqueNote, Journal

    assert Journal.objects.filter(action="note.lever_nv", motif__startswith="attestation").exists()
    assert HistoriqueNote.objects.filter(candidat=c, unite="U32", avant="NV", apres="").exists()


def test_la_regle_pure_du_non_valide():
    ponctuelle = regles.UniteSaisie(code="U31", non_valide_possible=True)
    regles.valider_saisie(ponctuelle, regles.Etat.NV, None)
    with pytest.raises(regles.NoteInvalide, match="E31 et E32"):
        regles.valider_saisie(regles.UniteSaisie(code="U11"), regles.Etat.NV, None)
    prononce = regles.UniteSaisie(code="U31", non_valide_possible=True, non_valide_prononce=True)
    with pytest.raises(regles.NoteInvalide, match="ne remplace pas"):
        regles.valider_saisie(prononce, regles.Etat.NOTE, Decimal(12))
    regles.valider_saisie(prononce, regles.Etat.NV, None)  # le réécrire tel quel reste possible


# ---------------------------------------------------------------------------------------------------
# 5. Annexe III : la décision de positionnement, datée, passe par l'import, le formulaire et la fiche
# ---------------------------------------------------------------------------------------------------


def test_un_positionne_importe_avec_sa_date_et_assez_de_semaines_est_conforme():
    """Annexe III : pour les candidats positionnés, « la durée de PFMP […] ne peut être inférieure à 10 semaines »
    (scolaires) : la durée réduite vaut si la décision de positionnement est datée."""
    from pfmp import selectors as pfmp_selectors
    from tests.examens.outils import ENTETE_CANDIDATS, ligne_candidat
    from tests.pfmp.outils import PREMIERE, TERMINALE, periode

    entete = ENTETE_CANDIDATS + ";positionnement_semaines;positionnement_date"
    imports.importer_candidats(
        contenu=csv_bytes(entete, ligne_candidat("P001") + ";10;20/09/2024"), nom_fichier="c.csv", annee=2026
    )
    from examens.models import Candidat

    c = Candidat.objects.get(numero="P001")
    assert (c.positionnement_semaines, str(c.positionnement_date)) == (Decimal(10), "2024-09-20")
    periode(c, *PREMIERE, attestees="5")
    periode(c, *TERMINALE, attestees="5")
    conformite = pfmp_selectors.conformite(Candidat.objects.get(pk=c.pk))
    assert conformite.conforme, conformite.motifs


def test_une_date_au_bon_format_qui_n_existe_pas_est_dite_inexistante():
    from tests.examens.outils import ENTETE_CANDIDATS, ligne_candidat

    with pytest.raises(imports.ImportRefuse) as refus:
        imports.importer_candidats(
            contenu=csv_bytes(ENTETE_CANDIDATS, ligne_candidat("P001", naissance="31/02/2008")),
            nom_fichier="c.csv",
            annee=2026,
        )
    assert [e.message for e in refus.value.erreurs] == ["date_naissance « 31/02/2008 » : date inexistante"]


# ---------------------------------------------------------------------------------------------------
# 3. Annexe II c : la grille évalue le bloc, pas une compétence isolée
# ---------------------------------------------------------------------------------------------------


def test_une_grille_ne_propose_de_note_qu_une_fois_le_bloc_couvert():
    """Annexe II c, E32 : la commission évalue « sur la base des compétences et des critères définis dans le bloc de
    compétences 3 » — les trois dimensions du pôle 3 (activités 3.1, 3.2, 3.3) ; règle nommée `notation.Couverture`
    (par défaut : une compétence évaluée par activité et deux tiers des compétences)."""
    from examens.ccf import notation

    echelle = notation.Echelle.depuis_donnees(
        [
            {"code": "I", "libelle": "Insuffisant", "points": 0, "touche": "1"},
            {"code": "S", "libelle": "Satisfaisant", "points": 2, "touche": "2"},
            {"code": "NE", "libelle": "Non évalué", "points": None, "touche": "0"},
        ]
    )
    activites = ["3.1", "3.1", "3.1", "3.2", "3.2", "3.3"]
    regle = notation.Couverture()
    seule = notation.suggerer_note(["S", "NE", "NE", "NE", "NE", "NE"], echelle, "centieme", activites, regle)
    assert seule.note is None and seule.a_completer == (
        "activité 3.2 : 1 compétence à évaluer",
        "activité 3.3 : 1 compétence à évaluer",
        "3 compétences de plus à évaluer (4 sur 6 au moins)",
    )
    couverte = notation.suggerer_note(["S", "S", "NE", "I", "NE", "S"], echelle, "centieme", activites, regle)
    assert couverte.a_completer == () and couverte.note == Decimal("15.00")  # 20 × 6 / 8


# ---------------------------------------------------------------------------------------------------
# 4. Arrêté du 30 août 2019 : l'unité facultative de mobilité, jamais ignorée en silence
# ---------------------------------------------------------------------------------------------------


def test_une_mobilite_non_recevable_est_dite_sur_la_fiche_et_la_deliberation(comptes):
    """Annexes II a et II c : « L'épreuve facultative de mobilité est définie par l'arrêté du 30 août 2019 » ; son
    article 2 l'ouvre aux scolaires du public et du privé sous contrat, aux apprentis de CFA habilités et à la
    formation continue des établissements publics."""
    prive = fabriques.candidat(division=comptes.division_a, statut="fpc_prive", facultative1="MOBILITE")
    saisies = [services.SaisieNote(candidat=prive, unite=u, etat="note", valeur=Decimal(12)) for u in UNITES]
    saisies.append(services.SaisieNote(candidat=prive, unite="UF1", etat="note", valeur=Decimal(18)))
    services.ecrire_notes(saisies=saisies, source="test")
    r = Resultat.objects.get(candidat=prive)
    assert r.moyenne == Decimal("12.00")  # la note de mobilité (18) ne compte pas…
    assert r.remarques == [  # … et le résultat dit pourquoi
        "UF1 mobilité non recevable : réservée aux scolaires du public ou du privé sous contrat, aux apprentis de "
        "CFA habilités et à la formation continue des établissements publics (arrêté du 30 août 2019, art. 2) ; "
        "la note ne compte pas"
    ]
    client = comptes.client(comptes.academie)
    assert "mobilité non recevable" in client.get(f"/examens/candidats/{prive.pk}/").content.decode()
    assert "mobilité non recevable" in client.get("/examens/sessions/2026/deliberation/").content.decode()
    services.definir_mobilite_eligible(candidat=prive, eligible=True)
    assert Resultat.objects.get(candidat=prive).remarques  # le statut reste hors du champ de l'arrêté

    public = fabriques.candidat(division=comptes.division_a, facultative1="MOBILITE", numero="M002")
    services.ecrire_notes(
        saisies=[services.SaisieNote(candidat=public, unite=u, etat="note", valeur=Decimal(12)) for u in UNITES]
        + [services.SaisieNote(candidat=public, unite="UF1", etat="note", valeur=Decimal(18))],
        source="test",
    )
    assert Resultat.objects.get(candidat=public).moyenne == Decimal("12.32")  # (300 + 8) / 25
    services.definir_mobilite_eligible(candidat=public, eligible=False)
    r = Resultat.objects.get(candidat=public)
    assert r.moyenne == Decimal("12.00") and "aucune période de PFMP attestée à l'étranger" in r.remarques[0]


# ---------------------------------------------------------------------------------------------------
# 6. Des règles versionnées par session : une nouvelle version s'applique aux sessions de sa période seulement
# ---------------------------------------------------------------------------------------------------


def test_une_seconde_version_du_reglement_change_les_sessions_a_partir_de_n_seulement(tmp_path, comptes):
    """Le texte prévient que les épreuves générales « sont appelées à être redéfinies » et la durée de PFMP change
    avec des textes ultérieurs : une version chargée à partir de la session 2027 (durée de l'E31 ponctuelle et
    semaines de PFMP changées) s'applique aux sessions 2027 et suivantes, sans toucher 2026 ni le code."""
    import json

    from examens.chargement import DOSSIER, charger_reglement
    from examens.models import ModaliteEpreuve, Session
    from pfmp import selectors as pfmp_selectors

    session_2027 = fabriques.session(2027)
    avant_2027 = fabriques.candidat(division=fabriques.division(sess=session_2027), statut="fpc_prive")
    c_2026 = fabriques.candidat(division=comptes.division_a, statut="fpc_prive")

    donnees = json.loads((DOSSIER / "AGORA-2020.json").read_text(encoding="utf-8"))
    donnees.update(code="AGORA-2020-V2-ESSAI", session_debut=2027, pfmp={"scolaire_3_ans": "20", "fpc": "18"})
    e31 = next(e for e in donnees["epreuves"] if e["code"] == "E31")
    for mode in e31["modes"].values():
        if mode["mode"].startswith("ponctuel"):
            mode["duree"] = "1 h 15"
    fichier = tmp_path / "v2.json"
    fichier.write_text(json.dumps(donnees, ensure_ascii=False), encoding="utf-8")
    v2, cree = charger_reglement(fichier)
    assert cree

    def duree_e31(candidat):
        s = Session.objects.get(pk=candidat.session_id)
        return ModaliteEpreuve.objects.get(
            epreuve__reglement_id=s.reglement_id, epreuve__code="E31", categorie__statuts__contains=[candidat.statut]
        ).duree

    def semaines(candidat):
        return pfmp_selectors.exigence(pfmp_selectors.avec_pfmp(type(candidat).objects.filter(pk=candidat.pk)).get())

    assert Session.objects.get(pk=c_2026.session_id).reglement.code == "AGORA-2020"
    assert duree_e31(c_2026) != "1 h 15" and semaines(c_2026).semaines == Decimal(22)
    assert Session.objects.get(pk=session_2027.pk).reglement == v2  # session existante rattachée
    assert duree_e31(avant_2027) == "1 h 15" and semaines(avant_2027).semaines == Decimal(18)
    apres = fabriques.candidat(division=fabriques.division(sess=fabriques.session(2028)))
    assert semaines(apres).semaines == Decimal(20)  # scolaire, cycle de trois ans, version 2
    from examens.models import Journal

    assert Journal.objects.filter(action="reglement.rattachement", session_annee=2027).exists()


# ---------------------------------------------------------------------------------------------------
# 7. Petites règles : DIS seulement là où une dispense est possible, avec le titre qui y donne droit
# ---------------------------------------------------------------------------------------------------


def test_dis_seulement_sur_une_unite_que_le_titre_du_candidat_dispense(comptes):
    """D337-71 et arrêté du 8 novembre 2012 (regles-examen §1.9) : le titulaire d'un baccalauréat est dispensé, à sa
    demande, de la langue vivante, du français, de l'histoire-géographie-EMC, des arts appliqués et de l'EPS ; le
    titulaire d'un autre bac pro aussi de la PSE et des mathématiques ; aucune unité professionnelle ne se dispense."""
    sans = fabriques.candidat(numero="A001", division=comptes.division_a)
    bachelier = fabriques.candidat(numero="A002", division=comptes.division_a, titre_dispense="bac")
    message = (
        "DIS : aucun titre noté sur la fiche du candidat ne dispense de {} (D337-71, arrêté du 8 novembre 2012) ; "
        "indiquez d'abord le diplôme qui y donne droit"
    )
    assert _refus("A001;U51;DIS", entete="numero_candidat;unite;note") == [message.format("U51")]
    assert _refus("A002;U31;DIS", entete="numero_candidat;unite;note") == [message.format("U31")]
    reponse = comptes.client(comptes.gestionnaire).post(f"/examens/candidats/{sans.pk}/notes/U51/", {"note": "DIS"})
    assert reponse.json()["erreur"] == message.format("U51")
    _importer("A002;U51;DIS", entete="numero_candidat;unite;note")
    assert Note.objects.get(candidat=bachelier, unite="U51").etat == "DIS"
    assert regles.unites_dispensables("", "experience_3_ans") == {"U7"}  # EPS sur demande (D337-84)


def test_le_chef_d_oeuvre_n_existe_que_si_la_version_du_reglement_le_definit():
    """Le chef-d'œuvre (décret 2020-1277, arrêté du 20 octobre 2020) est postérieur à l'arrêté du 18 février 2020 :
    une version du règlement sans « coefficient_chef_oeuvre » ne l'offre pas et ne le compte pas."""
    from examens.forms import CandidatForm

    sans = regles.Regles.depuis_dict(
        {
            "seuil_admission": "10",
            "seuil_controle": "8",
            "seuil_professionnel": "10",
            "mentions": {"AB": "12", "B": "14", "TB": "16"},
            "max_facultatives": 2,
            "mention_apres_controle": False,
            "mention_avec_notes_conservees": True,
            "controle_actif": True,
        }
    )
    unites = tuple(regles.NoteUnite(u, Decimal(1), regles.Etat.NOTE, Decimal(12)) for u in ("U11", "U12"))
    r = regles.calculer(regles.Dossier(unites=unites, chef_oeuvre=Decimal(20)), sans)
    assert r.moyenne == 12 and r.bonus_chef_oeuvre == 0
    assert "chef_oeuvre" in CandidatForm(annee=2026).fields  # AGORA-2020 définit le coefficient (2)


def test_la_piece_des_comptes_rendus_nomme_aussi_les_maitres_d_apprentissage():
    """Annexe II c (E31, E32) : les comptes rendus d'évaluation des PFMP viennent des tuteurs, ou des maîtres
    d'apprentissage pour les apprentis ; version 2 des gabarits, la version 1 reste pour les grilles commencées."""
    from examens.ccf import gabarits
    from referentiel.models import Referentiel

    actifs = gabarits.gabarits_actifs(Referentiel.objects.get(code="AGORA-2020"))
    for epreuve in ("E31", "E32"):
        libelles = [p["libelle"] for p in actifs[epreuve].pieces]
        assert "Comptes rendus d'évaluation des PFMP remplis par les tuteurs ou maîtres d'apprentissage" in libelles
