using Engine.Transport.Coding;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>The write side every HTTP/3 frame codec shares, so senders and tests size and write frames generically.</summary>
internal interface IHttp3Frame
{
    /// <summary>Bytes <see cref="Write"/> produces (for DATA and HEADERS: the header only).</summary>
    int GetLength();

    void Write(ref SpanWriter writer);
}
