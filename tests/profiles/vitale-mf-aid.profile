# The family card whose NIR application answers to the other AID seen on
# real cards, MF_VITALE (D2 50 00 00 02 "MF_VITALE"), and not to VITALE
# (6A82): carnet reads the NIRs there (docs/cards.md).
type = vitale
app_aid = mf_vitale
person.0.surname = MARTIN
person.0.first_name = CLAIRE
person.0.birth_date = 19800517
person.0.nir = 280057512345674
person.1.surname = MARTIN
person.1.first_name = LUCAS
person.1.birth_date = 20120309
person.1.birth_rank = 1
person.1.nir = 112037512345629
person.2.surname = MARTIN
person.2.first_name = EMMA
person.2.birth_date = 20120309
person.2.birth_rank = 2
