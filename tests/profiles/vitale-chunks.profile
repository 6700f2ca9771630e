# The family card handing its files out in 3-byte GET RESPONSE pieces:
# a bare 61xx, then 61xx with each piece while more is left.
type = vitale
response = chunks
chunk = 3
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
