using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnitV3;
using static ArchUnitNET.Fluent.ArchRuleDefinition;
using ArchitectureModel = ArchUnitNET.Domain.Architecture;

namespace Engine.Tests.Architecture;

/// <summary>
/// The layering rules of docs/architecture.md, checked on the compiled assemblies. Engine.Transport
/// is layered Coding → Tls → Quic → Http3 → WebTransport.Protocol → Io (with the public Net and WebTransport APIs) → sessions; each layer
/// may use only those before it. A broken rule fails with ArchUnitNET's message, which names each
/// offending type and the type it must not use.
/// </summary>
public sealed class LayeringTests
{
    private static readonly ArchitectureModel Model = new ArchLoader()
        .LoadAssemblies(
            typeof(Engine.Transport.Coding.VarInt).Assembly,
            typeof(Engine.State.Clock.HybridLogicalClock).Assembly,
            typeof(Engine.Rooms.Room).Assembly)
        .Build();

    [Fact]
    public void Coding_DependsOnNoOtherTransportLayer() =>
        Check(
            InNamespace(Layer.Coding).Should().NotDependOnAny(
                TypesOf(Layer.Tls, Layer.Quic, Layer.Http3, Layer.WebTransport, Layer.Io, Layer.Net, Layer.WebSockets, Layer.Abstractions, Layer.Common))
            .Because("Coding (varints, readers, writers) is the bottom layer"));

    [Fact]
    public void Tls_DoesNotDependOnQuicOrAbove() =>
        Check(
            InNamespace(Layer.Tls).Should().NotDependOnAny(
                TypesOf(Layer.Quic, Layer.Http3, Layer.WebTransport, Layer.Io, Layer.Net, Layer.WebSockets, Layer.Abstractions))
            .Because("TLS sees QUIC transport parameters as opaque bytes and has its own levels, suites and alerts"));

    [Fact]
    public void Quic_DoesNotDependOnHttp3OrIo() =>
        Check(
            InNamespace(Layer.Quic).Should().NotDependOnAny(
                TypesOf(Layer.Http3, Layer.WebTransport, Layer.Io, Layer.Net, Layer.WebSockets, Layer.Abstractions))
            .Because("the QUIC core is sans-IO and knows nothing of the protocols above it"));

    [Fact]
    public void Http3_DoesNotDependOnIo() =>
        Check(
            InNamespace(Layer.Http3).Should().NotDependOnAny(
                TypesOf(Layer.Io, Layer.Net, Layer.WebSockets, Layer.Abstractions))
            .Because("HTTP/3 runs on the sans-IO core; sockets and threads belong to Io"));

    [Fact]
    public void WebTransportProtocol_DoesNotDependOnTlsIoOrThePublicApi() =>
        Check(
            InNamespace(Layer.WebTransportProtocol).Should().NotDependOnAny(
                TypesOf(Layer.Tls, Layer.Io, Layer.Net, Layer.WebSockets, Layer.Abstractions)
                    .Or().ResideInNamespace(Layer.WebTransport))
            .Because("WebTransport's protocol (codecs, sessions, routing) sits on HTTP/3 and QUIC, sans-IO like them; the public session API sits above it"));

    [Fact]
    public void EngineState_ReferencesNothingOfTransportOrHost() =>
        Check(
            Types().That().ResideInAssembly(typeof(Engine.State.Clock.HybridLogicalClock).Assembly)
                .Should().NotDependOnAny(Types().That().ResideInAssembly(typeof(Engine.Transport.Coding.VarInt).Assembly)
                    .Or().ResideInAssembly(typeof(Engine.Rooms.Room).Assembly))
            .Because("Engine.State is a library of its own"));

    [Fact]
    public void EngineTransport_DoesNotDependOnTheHost() =>
        Check(
            Types().That().ResideInAssembly(typeof(Engine.Transport.Coding.VarInt).Assembly)
                .Should().NotDependOnAny(Types().That().ResideInAssembly(typeof(Engine.Rooms.Room).Assembly))
            .Because("transports serve the host, never the reverse"));

    [Fact]
    public void EngineHost_UsesOnlyPublicTransportTypes() =>
        Check(
            Types().That().ResideInAssembly(typeof(Engine.Rooms.Room).Assembly)
                .Should().NotDependOnAny(Types().That().ResideInAssembly(typeof(Engine.Transport.Coding.VarInt).Assembly).And().AreNotPublic())
            .Because("the host compiles against Engine.Transport's public seams only"));

    [Fact]
    public void TransportLayers_EachHasTypes() =>
        Assert.All(
            new[] { Layer.Coding, Layer.Tls, Layer.Quic, Layer.Http3, Layer.WebTransportProtocol, Layer.WebTransport, Layer.Io, Layer.Net, Layer.WebSockets, Layer.Abstractions },
            layer => Assert.True(Model.Types.Any(t => Layer.Contains(layer, t.Namespace.FullName)), $"no type resides in {layer}: a rule about it would pass vacuously"));

    private static ArchUnitNET.Fluent.Syntax.Elements.Types.GivenTypesConjunctionWithDescription TypesOf(params string[] layers)
    {
        var types = Types().That().ResideInNamespaceMatching(Layer.Pattern(layers[0]));
        foreach (string layer in layers.Skip(1))
        {
            types = types.Or().ResideInNamespaceMatching(Layer.Pattern(layer));
        }

        return types.As(string.Join(", ", layers));
    }

    private static ArchUnitNET.Fluent.Syntax.Elements.Types.GivenTypesConjunction InNamespace(string layer) =>
        Types().That().ResideInNamespaceMatching(Layer.Pattern(layer));

    private static void Check(IArchRule rule) => rule.Check(Model);

    private static class Layer
    {
        public const string Coding = "Engine.Transport.Coding";
        public const string Tls = "Engine.Transport.Tls";
        public const string Quic = "Engine.Transport.Quic";
        public const string Http3 = "Engine.Transport.Http3";
        public const string WebTransport = "Engine.Transport.WebTransport";
        public const string WebTransportProtocol = "Engine.Transport.WebTransport.Protocol";
        public const string Io = "Engine.Transport.Io";
        public const string Net = "Engine.Transport.Net";
        public const string WebSockets = "Engine.Transport.WebSockets";
        public const string Abstractions = "Engine.Transport.Abstractions";
        public const string Common = "Engine.Transport.Common";

        /// <summary>The namespace and everything under it.</summary>
        public static string Pattern(string layer) => "^" + layer.Replace(".", "\\.", StringComparison.Ordinal) + "(\\..*)?$";

        public static bool Contains(string layer, string ns) => ns == layer || ns.StartsWith(layer + ".", StringComparison.Ordinal);
    }
}
