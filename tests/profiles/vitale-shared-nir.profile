# A Carte Vitale whose beneficiary LUCAS carries the holder's NIR (as cards
# of children registered under a parent do) and whose beneficiary EMMA has
# none: neither has a NIR of their own on the card (docs/rules.md §5).
# Test data only: the NIRs carry valid keys but belong to nobody.
type = vitale
response = direct
person.0.surname = MARTIN
person.0.first_name = CLAIRE
person.0.birth_date = 19800517
person.0.nir = 280057512345674
person.1.surname = MARTIN
person.1.first_name = LUCAS
person.1.birth_date = 20120309
person.1.birth_rank = 1
person.1.nir = 280057512345674
person.2.surname = MARTIN
person.2.first_name = EMMA
person.2.birth_date = 20120309
person.2.birth_rank = 2
