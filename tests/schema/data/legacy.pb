
ý
legacy.protolegacy"ä
Record
id (Rid
values (Rvalues*
extra (
2.legacy.Record.ExtraRextra/
kind (2.legacy.Record.Kind:KIND_ARkind
name (	:noneRname
Extra
note (	Rnote"
Kind

KIND_A

KIND_B