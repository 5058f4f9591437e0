namespace Engine.Transport.Quic.Wire;

/// <summary>Outcome of parsing a packet header's unprotected parts. Anything but Valid means drop.</summary>
internal enum QuicHeaderStatus : byte
{
    /// <summary>The header parsed; the header's fields are set.</summary>
    Valid,

    /// <summary>The input ends inside the header, or before the end the Length field announces.</summary>
    Truncated,

    /// <summary>The fixed bit (0x40) is 0 in a v1 packet (RFC 9000 §17.2: discard).</summary>
    FixedBitNotSet,

    /// <summary>A v1 connection ID is longer than 20 bytes.</summary>
    ConnectionIdTooLong,

    /// <summary>
    /// A long header with a version other than 1 or 0. Only the invariant fields (version and
    /// connection IDs, RFC 8999) are set, enough to answer with Version Negotiation.
    /// </summary>
    UnsupportedVersion,

    /// <summary>A Version Negotiation packet whose version list is empty or not a multiple of 4 bytes.</summary>
    Malformed,
}
