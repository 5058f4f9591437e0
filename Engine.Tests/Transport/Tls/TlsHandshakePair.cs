using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

/// <summary>
/// A client and a server wired back to back in memory: each one's handshake data is fed to the
/// other at the same level, and every output is recorded so tests can compare secrets.
/// </summary>
internal sealed class TlsHandshakePair : IDisposable
{
    /// <summary>
    /// A pair exchanging <see cref="ClientTransportParameters"/> and <see cref="ServerTransportParameters"/>
    /// as opaque extension bodies; each side's check (if any) judges what the other sent.
    /// </summary>
    public TlsHandshakePair(
        TlsClientOptions clientOptions,
        TlsServerOptions serverOptions,
        TlsTransportParametersCheck? clientCheck = null,
        TlsTransportParametersCheck? serverCheck = null)
    {
        Client = new TlsClientHandshake(clientOptions, ClientTransportParameters(), clientCheck);
        Server = new TlsServerHandshake(serverOptions, ServerTransportParameters(), serverCheck);
    }

    public TlsClientHandshake Client { get; }

    public TlsServerHandshake Server { get; }

    public List<TlsOutput> ClientOutputs { get; } = [];

    public List<TlsOutput> ServerOutputs { get; } = [];

    public TlsError ClientError { get; private set; }

    public TlsError ServerError { get; private set; }

    /// <summary>Lets a test change bytes in flight: (from client?, level, message bytes) → bytes to deliver.</summary>
    public Func<bool, TlsEncryptionLevel, byte[], byte[]>? Tamper { get; set; }

    /// <summary>Bytes per delivery; 0 delivers each output whole.</summary>
    public int ChunkSize { get; set; }

    /// <summary>The client's quic_transport_parameters body: opaque to TLS, so any bytes do.</summary>
    public static byte[] ClientTransportParameters() => [.. "client transport parameters"u8];

    /// <summary>The server's quic_transport_parameters body.</summary>
    public static byte[] ServerTransportParameters() => [.. "server transport parameters"u8];

    /// <summary>Starts the client and moves data until both sides go quiet or one fails.</summary>
    public void Run()
    {
        Client.Start();
        bool moved = true;
        while (moved && ClientError == TlsError.None && ServerError == TlsError.None)
        {
            moved = false;
            while (Client.TryDequeue(out TlsOutput output))
            {
                ClientOutputs.Add(Keep(output));
                moved = true;
                if (output.Kind == TlsOutputKind.HandshakeData && ServerError == TlsError.None)
                {
                    ServerError = Deliver(Server, fromClient: true, output);
                }
            }

            while (Server.TryDequeue(out TlsOutput output))
            {
                ServerOutputs.Add(Keep(output));
                moved = true;
                if (output.Kind == TlsOutputKind.HandshakeData && ClientError == TlsError.None)
                {
                    ClientError = Deliver(Client, fromClient: false, output);
                }
            }
        }
    }

    public byte[] Secret(List<TlsOutput> outputs, TlsOutputKind kind, TlsEncryptionLevel level) =>
        Assert.Single(outputs, o => o.Kind == kind && o.Level == level).Data;

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }

    /// <summary>Records a copy and wipes a handed-over secret, as a QUIC layer may, to prove the handshake kept its own.</summary>
    private static TlsOutput Keep(TlsOutput output)
    {
        TlsOutput copy = output with { Data = (byte[])output.Data.Clone() };
        if (output.Kind != TlsOutputKind.HandshakeData)
        {
            Array.Clear(output.Data);
        }

        return copy;
    }

    private TlsError Deliver(TlsHandshake receiver, bool fromClient, TlsOutput output)
    {
        byte[] data = Tamper?.Invoke(fromClient, output.Level, output.Data) ?? output.Data;
        int chunk = ChunkSize > 0 ? ChunkSize : Math.Max(1, data.Length);
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            TlsError error = receiver.ReceiveHandshakeData(output.Level, data.AsSpan(offset, Math.Min(chunk, data.Length - offset)));
            if (error != TlsError.None)
            {
                return error;
            }
        }

        return TlsError.None;
    }
}
