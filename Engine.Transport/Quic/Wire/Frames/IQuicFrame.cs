using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>
/// The write side every frame shares, so packet builders and tests can size and write any frame
/// generically (ref struct frames included, without boxing).
/// </summary>
internal interface IQuicFrame
{
    /// <summary>Bytes <see cref="Write"/> will produce.</summary>
    int GetLength();

    void Write(ref SpanWriter writer);
}
