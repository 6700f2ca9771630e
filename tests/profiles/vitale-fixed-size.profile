# The family card with fixed-size EFs of 512 bytes, FF after the templates
# (ISO 7816-4 allows 00 / FF between and after BER-TLV objects), and a card
# that answers the READ BINARY just past the EF with 6A86 (incorrect P1-P2:
# past the first READ, P1-P2 is nothing but the offset).
type = vitale
response = direct
file_size = 512
end = 6A86
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
