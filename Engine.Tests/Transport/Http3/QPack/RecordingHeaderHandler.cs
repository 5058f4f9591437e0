using System.Text;
using Engine.Transport.Http3.QPack;

namespace Engine.Tests.Transport.Http3.QPack;

/// <summary>Collects decoded fields as Latin-1 strings.</summary>
internal sealed class RecordingHeaderHandler : IQPackHeaderHandler
{
    public List<(string Name, string Value)> Fields { get; } = [];

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
        Fields.Add((Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));
}
