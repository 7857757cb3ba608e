import pytest
from django.core.management import CommandError, call_command

from examens.imports import ImportRefuse, importer_candidats, importer_notes
from examens.models import Candidat, Etablissement, HistoriqueNote, Journal, Note, Session
from tests.examens.outils import ENTETE_CANDIDATS, UAI_1, csv_bytes, ligne_candidat, lignes_notes

pytestmark = pytest.mark.django_db


def importer(*lignes, annee=2026, entete=ENTETE_CANDIDATS):
    return importer_candidats(contenu=csv_bytes(entete, *lignes), nom_fichier="c.csv", annee=annee)


def test_un_import_valide_cree_la_session_l_etablissement_et_les_candidats():
    bilan = importer(
        ligne_candidat("A001", facultatives="LV:it|EPS"),
        ligne_candidat("A002", statut="fpc_prive", forme="progressive"),
    )
    assert bilan.crees == 2 and bilan.session_creee and bilan.etablissements_crees == [UAI_1]
    a = Candidat.objects.get(numero="A001")
    assert (a.session.annee, a.etablissement.uai, a.facultative1, a.facultative2) == (2026, UAI_1, "LV:it", "EPS")
    assert Journal.objects.filter(action="import.candidats", session_annee=2026).count() == 1


def test_une_seule_ligne_fausse_et_rien_n_est_ecrit_toutes_les_erreurs_sont_listees():
    with pytest.raises(ImportRefuse) as refus:
        importer(
            ligne_candidat("A001"),
            ligne_candidat("A002", uai="0750001A"),
            ligne_candidat("A003", naissance="2008-03-14", lv2="en", facultatives="LV:en"),
            ligne_candidat("A001"),
        )
    messages = [str(e) for e in refus.value.erreurs]
    assert "ligne 3 : UAI « 0750001A » : lettre clé incorrecte (attendue : U)" in messages
    assert any(m.startswith("ligne 4 : date_naissance") for m in messages)
    assert any(m.startswith("ligne 4 : lv1 et lv2 doivent être deux langues différentes") for m in messages)
    assert any("ligne 4 : facultatives « LV:en » : la langue facultative doit différer" in m for m in messages)
    assert "ligne 5 : numero_candidat A001 en double (déjà ligne 2)" in messages
    assert not Session.objects.filter(annee=2026).exists()
    assert not Candidat.objects.exists() and not Etablissement.objects.exists()


@pytest.mark.parametrize(
    "surcharge, message",
    [
        ({"statut": "scolaire_public", "forme": "progressive"}, "forme progressive impossible"),
        ({"facultatives": "LV:it|EPS|MOBILITE"}, "deux unités facultatives au plus"),
        ({"facultatives": "EPS|EPS"}, "la même unité est choisie deux fois"),
        ({"facultatives": "PEINTURE"}, "LV:<code>, MOBILITE ou EPS attendu"),
        ({"lv1": "xx"}, "code de langue ISO 639-1"),
        ({"nom": '=HYPERLINK("x")'}, "ne peut pas commencer par '='"),
        ({"numero": ""}, "numero_candidat"),
        ({"statut": "scolaire"}, "statut « scolaire » inconnu"),
    ],
)
def test_chaque_regle_de_validation_a_son_message(surcharge, message):
    with pytest.raises(ImportRefuse) as refus:
        importer(ligne_candidat(**surcharge))
    assert any(message in str(e) for e in refus.value.erreurs), refus.value.erreurs


def test_un_numero_deja_inscrit_dans_la_session_est_refuse():
    importer(ligne_candidat("A001"))
    with pytest.raises(ImportRefuse) as refus:
        importer(ligne_candidat("A001"), ligne_candidat("A002"))
    assert [str(e) for e in refus.value.erreurs] == ["ligne 2 : numero_candidat A001 déjà inscrit à la session 2026"]
    assert Candidat.objects.count() == 1


def test_en_tete_incomplet_ou_mauvais_separateur():
    with pytest.raises(ImportRefuse, match="erreur"):
        importer(ligne_candidat(), entete="numero_candidat;nom")
    # La virgule est reconnue comme séparateur : l'erreur porte alors sur les colonnes manquantes.
    with pytest.raises(ImportRefuse) as refus:
        importer_candidats(contenu=b"numero_candidat,nom,prenom\nA,B,C\n", nom_fichier="c.csv", annee=2026)
    assert "date_naissance" in str(refus.value.erreurs[0])


def test_un_csv_d_excel_en_windows_1252_et_a_virgules_s_importe():
    """Excel sous Windows enregistre son « CSV » en Windows-1252 ; d'autres tableurs séparent par des virgules."""
    texte = "\n".join(
        [ENTETE_CANDIDATS.replace(";", ","), ligne_candidat(prenom="Léa", nom="ÉTIENNE").replace(";", ",")]
    )
    contenu = texte.encode("cp1252")
    from agora import tableaux

    assert tableaux.decrire(contenu, "c.csv") == "CSV, encodage Windows-1252 (Excel), séparateur virgule « , »"
    importer_candidats(contenu=contenu, nom_fichier="c.csv", annee=2026)
    assert Candidat.objects.get(numero="A001").prenom == "Léa" and Candidat.objects.get().nom == "ÉTIENNE"


def test_un_fichier_ni_utf8_ni_windows_1252_est_refuse_avec_la_ligne():
    contenu = csv_bytes(ENTETE_CANDIDATS, ligne_candidat(prenom="Léa"), bom=False) + b"A002;\x81\n"
    with pytest.raises(ImportRefuse) as refus:
        importer_candidats(contenu=contenu, nom_fichier="c.csv", annee=2026)
    assert str(refus.value.erreurs[0]).startswith("Ligne 3 : encodage non reconnu (ni UTF-8 ni Windows-1252)")


def test_xlsx_accepte(tmp_path):
    from openpyxl import Workbook

    classeur = Workbook()
    feuille = classeur.active
    feuille.append(ENTETE_CANDIDATS.split(";"))
    feuille.append(ligne_candidat("X001").split(";"))
    chemin = tmp_path / "c.xlsx"
    classeur.save(chemin)
    bilan = importer_candidats(contenu=chemin.read_bytes(), nom_fichier="c.xlsx", annee=2026)
    assert bilan.crees == 1 and Candidat.objects.get().numero == "X001"


# ------------------------------------------------------------------------------------------- notes


@pytest.fixture
def candidat_a001():
    importer(
        ligne_candidat("A001", facultatives="LV:it"), ligne_candidat("A002", statut="fpc_prive", forme="progressive")
    )
    return Candidat.objects.get(numero="A001")


def notes(*lignes, annee=2026, entete="numero_candidat;unite;note"):
    return importer_notes(contenu=csv_bytes(entete, *lignes), nom_fichier="n.csv", annee=annee)


def test_import_de_notes_puis_reimport_qui_remplace_avec_historique(candidat_a001):
    bilan = notes(*lignes_notes("A001", ["12", "11", "13", "14", "12", "10", "11", "9", "10", "12", "13", "15"]))
    assert bilan.crees == 12
    notes("A001;U31;14,5", "A001;U32;ABJ", "A001;UF1;16")
    u31 = Note.objects.get(candidat=candidat_a001, unite="U31")
    assert str(u31.valeur) == "14.500"
    assert [(h.avant, h.apres) for h in HistoriqueNote.objects.filter(unite="U31").order_by("id")] == [
        ("", "14,00"),
        ("14,00", "14,50"),
    ]
    assert Note.objects.get(candidat=candidat_a001, unite="U32").etat == "ABJ"


@pytest.mark.parametrize(
    "ligne, entete, message",
    [
        ("A999;U31;12", None, "numero_candidat « A999 » inconnu"),
        ("A001;U99;12", None, "unite « U99 » inconnue"),
        ("A001;U31;20,5", None, "la note doit être comprise entre 0 et 20"),
        ("A001;U31;12,555", None, "plus de deux décimales"),
        ("A001;UF2;12", None, "pas choisi de seconde unité facultative"),
        ("A001;UF1;DIS", None, "seule une unité obligatoire du premier groupe se dispense"),
        ("A001;U31;12;2", "numero_candidat;unite;note;groupe", "ne peut pas être réexaminée"),
        (
            "A001;U33;14;;2022;GA",
            "numero_candidat;unite;note;groupe;session_origine;specialite_origine",
            "sans équivalent en AGOrA",
        ),
        (
            "A001;U31;14;;2020;GA",
            "numero_candidat;unite;note;groupe;session_origine;specialite_origine",
            "plus de 5 sessions",
        ),
        (
            "A001;U31;14;;2022;AGORA",
            "numero_candidat;unite;note;groupe;session_origine;specialite_origine",
            "la première session AGOrA est 2023",
        ),
        (
            "A001;U31;8;;2024;AGORA",
            "numero_candidat;unite;note;groupe;session_origine;specialite_origine",
            "seule la forme progressive",
        ),
        ("A001;U31;14;;2024;", "numero_candidat;unite;note;groupe;session_origine;specialite_origine", "vont ensemble"),
    ],
)
def test_notes_refusees_avec_leur_raison(candidat_a001, ligne, entete, message):
    with pytest.raises(ImportRefuse) as refus:
        notes("A001;U11;12", ligne, entete=entete or "numero_candidat;unite;note")
    assert any(message in str(e) and str(e).startswith("ligne 3") for e in refus.value.erreurs), refus.value.erreurs
    assert not Note.objects.exists()


def test_note_ga_conservee_est_portee_sur_l_unite_agora(candidat_a001):
    entete = "numero_candidat;unite;note;groupe;session_origine;specialite_origine"
    notes("A001;U2;12;;2022;GA", "A001;U34;10;;2022;GA", entete=entete)
    u32 = Note.objects.get(candidat=candidat_a001, unite="U32")
    u33 = Note.objects.get(candidat=candidat_a001, unite="U33")
    assert (u32.origine, u32.session_origine, u32.unite_origine, str(u32.valeur)) == (
        "conservee_ga",
        2022,
        "U2",
        "12.000",
    )
    assert u33.unite_origine == "U34"


def test_une_seule_unite_de_controle_par_groupe(candidat_a001):
    """Le candidat a choisi U11 : la note de contrôle en U12 est refusée, comme à l'écran (même règle)."""
    candidat_a001.controle_scientifique = "U11"
    candidat_a001.save(update_fields=["controle_scientifique"])
    with pytest.raises(ImportRefuse) as refus:
        notes("A001;U11;12;2", "A001;U12;12;2", entete="numero_candidat;unite;note;groupe")
    assert [str(e) for e in refus.value.erreurs] == [
        "ligne 3 : U12 : choisissez d'abord cette unité pour l'épreuve de contrôle",
        "ligne 3 : épreuve de contrôle : une seule unité parmi économie-droit, mathématiques ou PSE (déjà ligne 2)",
    ]


def test_import_refuse_quand_la_session_est_verrouillee(candidat_a001):
    Session.objects.filter(annee=2026).update(verrouillee=True)
    with pytest.raises(ImportRefuse, match="erreur") as refus:
        notes("A001;U11;12")
    assert "verrouillée" in str(refus.value.erreurs[0])


def test_les_commandes_sortent_en_erreur_avec_les_lignes(tmp_path, capsys):
    fichier = tmp_path / "c.csv"
    fichier.write_bytes(csv_bytes(ENTETE_CANDIDATS, ligne_candidat("A001"), ligne_candidat("A002", statut="x")))
    with pytest.raises(CommandError, match="Import refusé : 1 erreur"):
        call_command("importer_candidats", "--session", "2026", str(fichier))
    assert "ligne 3 : statut « x » inconnu" in capsys.readouterr().err
    assert not Candidat.objects.exists()
    fichier.write_bytes(csv_bytes(ENTETE_CANDIDATS, ligne_candidat("A001")))
    call_command("importer_candidats", "--session", "2026", str(fichier))
    assert "1 créé, 0 modifié, 0 inchangé" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------- aperçu


def test_l_apercu_des_notes_dit_ce_qui_est_cree_modifie_et_inchange_case_par_case(candidat_a001):
    notes("A001;U31;12", "A001;U32;11", "A001;U33;13")
    bilan = importer_notes(
        contenu=csv_bytes("numero_candidat;unite;note", "A001;U31;12", "A001;U32;14,5", "A001;U33;ABJ", "A001;U2;9"),
        nom_fichier="n.csv",
        annee=2026,
        apercu=True,
    )
    assert (bilan.crees, bilan.modifies, bilan.inchanges) == (1, 2, 1)
    # que des notes de la session : la colonne « Origine » n'apprendrait rien
    assert bilan.colonnes == ["N° candidat", "Candidat", "Unité", "Groupe", "Note"]
    par_ligne = {ligne.ligne: ligne for ligne in bilan.lignes}
    assert set(par_ligne) == {3, 4, 5}  # la ligne 2 (U31 inchangée) est seulement comptée
    u32, u33, u2 = par_ligne[3], par_ligne[4], par_ligne[5]
    assert (u32.action, u33.action, u2.action) == ("modification", "modification", "creation")
    assert u32.changees == [4] and (u32.cellules[4].avant, u32.cellules[4].apres) == ("11,00", "14,50")
    assert u33.changees == [4] and (u33.cellules[4].avant, u33.cellules[4].apres) == ("13,00", "ABJ")
    assert [c.apres for c in u2.cellules] == ["A001", f"{candidat_a001.nom} {candidat_a001.prenom}", "U2", "1", "9,00"]
    assert all(c.avant == "" for c in u2.cellules)
    # L'aperçu n'a rien écrit : U32 vaut toujours 11.
    assert str(Note.objects.get(candidat=candidat_a001, unite="U32").valeur) == "11.000"


def test_l_apercu_des_candidats_montre_chaque_ligne_et_la_nouvelle_division():
    bilan = importer_candidats(
        contenu=csv_bytes(ENTETE_CANDIDATS + ";division", ligne_candidat("A001") + ";TAGO3"),
        nom_fichier="c.csv",
        annee=2026,
        apercu=True,
    )
    (ligne,) = bilan.lignes
    assert ligne.ligne == 2 and ligne.action == "creation"
    cases = dict(zip(bilan.colonnes, ligne.cellules, strict=True))
    assert cases["N° candidat"].apres == "A001"
    assert (cases["Division"].apres, cases["Division"].remarque) == ("TAGO3", "nouvelle division")
    assert (cases["UAI"].apres, cases["UAI"].remarque) == (UAI_1, "nouvel établissement")
    assert not Candidat.objects.exists() and not Session.objects.exists()


def test_l_apercu_montre_l_origine_quand_une_note_devient_conservee(candidat_a001):
    notes("A001;U32;11")
    entete = "numero_candidat;unite;note;groupe;session_origine;specialite_origine"
    bilan = importer_notes(
        contenu=csv_bytes(entete, "A001;U2;11;;2022;GA"), nom_fichier="n.csv", annee=2026, apercu=True
    )
    assert bilan.colonnes[-1] == "Origine" and bilan.modifies == 1
    (ligne,) = bilan.lignes
    assert ligne.changees == [5]  # même note, origine changée
    assert (ligne.cellules[5].avant, ligne.cellules[5].apres) == (
        "passée à cette session",
        "conservée (Gestion-Administration), session 2022",
    )


def test_une_confirmation_qui_ne_ferait_plus_ce_que_l_apercu_montrait_n_ecrit_rien(candidat_a001):
    from examens.imports import ApercuPerime, empreinte

    notes("A001;U2;9")
    fichier = csv_bytes("numero_candidat;unite;note", "A001;U2;10", "A001;U31;12")
    apercu = importer_notes(contenu=fichier, nom_fichier="n.csv", annee=2026, apercu=True)
    # entre l'aperçu et la confirmation, quelqu'un saisit U2 : l'aperçu montrait 9,00 → 10,00
    notes("A001;U2;11")
    with pytest.raises(ApercuPerime) as perime:
        importer_notes(contenu=fichier, nom_fichier="n.csv", annee=2026, attendu=empreinte(apercu))
    assert perime.value.bilan.lignes[0].cellules[4].avant == "11,00"
    assert str(Note.objects.get(candidat=candidat_a001, unite="U2").valeur) == "11.000"
    assert not Note.objects.filter(candidat=candidat_a001, unite="U31").exists()
    # la même empreinte retrouvée, l'import s'écrit
    bilan = importer_notes(contenu=fichier, nom_fichier="n.csv", annee=2026, attendu=empreinte(perime.value.bilan))
    assert (bilan.crees, bilan.modifies) == (1, 1)


def test_apercu_notes_sans_base_garde_les_creees_et_modifiees_jusqu_a_la_limite():
    from decimal import Decimal
    from types import SimpleNamespace

    from examens.imports import apercu_notes

    candidat = SimpleNamespace(pk=1, numero="A001", nom="LEROY", prenom="Théo")

    def saisie(unite, valeur):
        return SimpleNamespace(
            candidat=candidat, unite=unite, groupe=1, etat="note", valeur=Decimal(valeur), origine="session",
            session_origine=None,
        )  # fmt: skip

    saisies = [saisie("U2", "10"), saisie("U31", "12"), saisie("U32", "8"), saisie("U33", "7")]
    existantes = {
        (1, "U2", 1): ("note", Decimal("9"), "session", None),
        (1, "U31", 1): ("note", Decimal("12"), "session", None),
    }
    lignes = apercu_notes([2, 3, 4, 5], saisies, existantes)
    assert [(ligne.ligne, ligne.action, ligne.changees) for ligne in lignes] == [
        (2, "modification", [4]),
        (4, "creation", [0, 1, 2, 3, 4, 5]),
        (5, "creation", [0, 1, 2, 3, 4, 5]),
    ]
    assert [ligne.ligne for ligne in apercu_notes([2, 3, 4, 5], saisies, existantes, limite=2)] == [2, 4]
