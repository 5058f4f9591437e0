using Engine.Transport.Quic;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

/// <summary>
/// A client and a server wired back to back in memory: each one's handshake data is fed to the
/// other at the same level, and every output is recorded so tests can compare secrets.
/// </summary>
internal sealed class TlsHandshakePair : IDisposable
{
    public TlsHandshakePair(TlsClientOptions clientOptions, TlsServerOptions serverOptions, TransportParameters? clientParameters = null)
    {
        Client = new TlsClientHandshake(clientOptions, clientParameters ?? ClientTransportParameters());
        Server = new TlsServerHandshake(serverOptions, ServerTransportParameters());
    }

    public TlsClientHandshake Client { get; }

    public TlsServerHandshake Server { get; }

    public List<TlsOutput> ClientOutputs { get; } = [];

    public List<TlsOutput> ServerOutputs { get; } = [];

    public QuicTransportErrorCode ClientError { get; private set; }

    public QuicTransportErrorCode ServerError { get; private set; }

    /// <summary>Lets a test change bytes in flight: (from client?, level, message bytes) → bytes to deliver.</summary>
    public Func<bool, QuicPacketSpace, byte[], byte[]>? Tamper { get; set; }

    /// <summary>Bytes per delivery; 0 delivers each output whole.</summary>
    public int ChunkSize { get; set; }

    public static TransportParameters ClientTransportParameters() => new()
    {
        InitialMaxData = 1 << 20,
        InitialMaxStreamsBidi = 100,
        InitialSourceConnectionId = [1, 2, 3, 4],
    };

    public static TransportParameters ServerTransportParameters() => new()
    {
        InitialMaxData = 1 << 20,
        InitialMaxStreamsUni = 3,
        OriginalDestinationConnectionId = [9, 9, 9, 9, 9, 9, 9, 9],
        InitialSourceConnectionId = [5, 6, 7, 8],
    };

    /// <summary>Starts the client and moves data until both sides go quiet or one fails.</summary>
    public void Run()
    {
        Client.Start();
        bool moved = true;
        while (moved && ClientError == QuicTransportErrorCode.NoError && ServerError == QuicTransportErrorCode.NoError)
        {
            moved = false;
            while (Client.TryDequeue(out TlsOutput output))
            {
                ClientOutputs.Add(Keep(output));
                moved = true;
                if (output.Kind == TlsOutputKind.HandshakeData && ServerError == QuicTransportErrorCode.NoError)
                {
                    ServerError = Deliver(Server, fromClient: true, output);
                }
            }

            while (Server.TryDequeue(out TlsOutput output))
            {
                ServerOutputs.Add(Keep(output));
                moved = true;
                if (output.Kind == TlsOutputKind.HandshakeData && ClientError == QuicTransportErrorCode.NoError)
                {
                    ClientError = Deliver(Client, fromClient: false, output);
                }
            }
        }
    }

    public byte[] Secret(List<TlsOutput> outputs, TlsOutputKind kind, QuicPacketSpace level) =>
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

    private QuicTransportErrorCode Deliver(TlsHandshake receiver, bool fromClient, TlsOutput output)
    {
        byte[] data = Tamper?.Invoke(fromClient, output.Level, output.Data) ?? output.Data;
        int chunk = ChunkSize > 0 ? ChunkSize : Math.Max(1, data.Length);
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            QuicTransportErrorCode error = receiver.ReceiveHandshakeData(output.Level, data.AsSpan(offset, Math.Min(chunk, data.Length - offset)));
            if (error != QuicTransportErrorCode.NoError)
            {
                return error;
            }
        }

        return QuicTransportErrorCode.NoError;
    }
}
