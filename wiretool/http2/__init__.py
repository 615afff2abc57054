"""HTTP/2 and HPACK: sans-IO decoders that build the model renderers show.

* ``frames``: the frame reader (bytes of one direction → ``Frame`` records);
* ``hpack``: the representation-level HPACK walker (one context per direction);
* ``connection``: both directions of one connection, header blocks assembled and
  decoded with the right context, SETTINGS applied to the peer;
* ``follow``: reads ``tshark -q -z follow,tcp,raw,N`` output;
* ``summary``: per-stream and per-direction totals.
"""
