"""Qui peut faire quoi sur un jury : les prédicats en un seul endroit lisible (bibliothèque `rules`).

Les vues, les services et les tests posent la même question : `peut(utilisateur, "verrouiller", jury)`.

| action        | administrateur | gestionnaire académique (tout le jury) | président | membre |
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
    """Gestionnaire académique de tous les établissements du jury. Un jury qui déborde de son académie (composé par
    un administrateur) ne lui appartient pas : il n'en retirerait pas les établissements des autres, ni n'en
    verrouillerait les candidats."""
    if jury is None or not utilisateur.has_perm("examens.gerer_jurys"):
        return False
    siens = perimetre.etablissements_organisables(utilisateur).values("pk")
    return jury.etablissements.exists() and not jury.etablissements.exclude(pk__in=siens).exists()


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
