"""Qui peut faire quoi sur un jury : les prédicats en un seul endroit lisible (bibliothèque `rules`).

Les vues, les services et les tests posent la même question : `peut(utilisateur, "verrouiller", jury)`.

| action        | administrateur | gestionnaire académique (son académie) | président | membre |
|---------------|----------------|----------------------------------------|-----------|--------|
| voir          | oui            | oui                                    | oui       | oui    |
| deliberer     | oui            | oui                                    | oui       | oui    |
| verrouiller   | oui            | oui                                    | oui       | non    |
| deverrouiller | oui            | oui                                    | non       | non    |
| valider_pv    | non            | non                                    | oui       | non    |
| organiser     | oui            | oui                                    | non       | non    |

Valider le procès-verbal est l'acte personnel du président : personne ne le fait à sa place.
Le verrouillage de toute une session (acte national) reste à l'administrateur : voir `services.verrouiller`.
"""

import rules

from examens import perimetre


@rules.predicate
def est_administrateur(utilisateur, jury) -> bool:
    return perimetre.voit_tout(utilisateur)


@rules.predicate
def est_president(utilisateur, jury) -> bool:
    return jury is not None and jury.president_id is not None and jury.president_id == utilisateur.pk


@rules.predicate
def est_membre(utilisateur, jury) -> bool:
    return jury is not None and jury.membres.filter(pk=utilisateur.pk).exists()


@rules.predicate
def gere_son_academie(utilisateur, jury) -> bool:
    """Gestionnaire académique d'un établissement du jury (le jury d'une autre académie ne le regarde pas)."""
    return (
        jury is not None
        and utilisateur.has_perm("examens.gerer_jurys")
        and jury.etablissements.filter(academie__gestionnaires=utilisateur).exists()
    )


REGLES = rules.RuleSet()
REGLES.add_rule("voir", est_administrateur | gere_son_academie | est_president | est_membre)
REGLES.add_rule("deliberer", est_administrateur | gere_son_academie | est_president | est_membre)
REGLES.add_rule("verrouiller", est_administrateur | gere_son_academie | est_president)
REGLES.add_rule("deverrouiller", est_administrateur | gere_son_academie)
REGLES.add_rule("valider_pv", est_president)
REGLES.add_rule("organiser", est_administrateur | gere_son_academie)


def peut(utilisateur, action: str, jury) -> bool:
    if utilisateur is None or not utilisateur.is_authenticated:
        return False
    return REGLES.test_rule(action, utilisateur, jury)


def peut_creer_jury(utilisateur) -> bool:
    """Créer un jury : l'administrateur, ou la division des examens (pour les établissements de son académie)."""
    return perimetre.voit_tout(utilisateur) or (
        utilisateur.has_perm("examens.gerer_jurys") and perimetre.etablissements_organisables(utilisateur).exists()
    )
