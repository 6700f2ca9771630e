# A Carte Vitale whose holder's NIR has a wrong key and whose beneficiary
# has none: both persons are listed, flagged, and cannot open a dossier.
type = vitale
person.0.surname = DURAND
person.0.first_name = PAUL
person.0.birth_date = 19750102
person.0.nir = 175012A12345699
person.1.surname = DURAND
person.1.first_name = ZOE
person.1.birth_date = 20150607
