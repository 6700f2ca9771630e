# The family card without a NIR application: VITALE is 6A82 and MF_VITALE
# names the master file (cardpeek's vitale_2.lua), whose short file 2 is
# the identity file: carnet finds no NIR file (card_unreadable), and never
# shows the persons as if they had no NIR.
type = vitale
app_aid = none
person.0.surname = MARTIN
person.0.first_name = CLAIRE
person.0.birth_date = 19800517
person.0.nir = 280057512345674
person.1.surname = MARTIN
person.1.first_name = LUCAS
person.1.birth_date = 20120309
person.1.birth_rank = 1
person.1.nir = 112037512345629
