namespace Engine.Transport.Http3.QPack;

/// <summary>Receives decoded field lines. The spans are only valid during the call.</summary>
internal interface IQPackHeaderHandler
{
    void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);
}
