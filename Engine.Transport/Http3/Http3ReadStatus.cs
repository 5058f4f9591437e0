namespace Engine.Transport.Http3;

/// <summary>Outcome of an incremental HTTP/3 parse. Peer bytes never cause an exception.</summary>
internal enum Http3ReadStatus : byte
{
    /// <summary>A complete item was read; its out values are set.</summary>
    Done,

    /// <summary>The input ends inside the item; nothing was consumed. Call again with more bytes.</summary>
    NeedMoreData,

    /// <summary>The bytes violate the protocol; the accompanying <see cref="Http3ErrorCode"/> says how.</summary>
    Error,
}
