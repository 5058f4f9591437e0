using System.Buffers.Binary;
using Engine.Hosting;
using Engine.Protocol;
using Engine.Transport.Net;
using Engine.Transport.WebTransport;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Tests.Host;

/// <summary>
/// A protocol client over a real WebTransport session, speaking docs/protocol.md's WebTransport
/// mapping from the .NET client: the message stream (u32 LE length prefix), datagrams (kind byte,
/// fragments reassembled like the browser's transport.js does), and the session close code.
/// </summary>
public sealed class WebTransportTestClient : ProtocolTestClient
{
    private readonly Task _streamReader;
    private readonly Task _datagramReader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<ushort, byte[]?[]> _partial = [];

    private WebTransportTestClient(WebTransportSession session, QuicStream stream)
    {
        Session = session;
        Stream = stream;
        _streamReader = Task.Run(ReadStreamAsync);
        _datagramReader = Task.Run(ReadDatagramsAsync);
    }

    public WebTransportSession Session { get; }

    public QuicStream Stream { get; }

    /// <summary>Snapshots (and other messages) that arrived as datagrams, whole or reassembled.</summary>
    public int DatagramMessages { get; private set; }

    /// <summary>Messages that arrived in fragments and were reassembled.</summary>
    public int ReassembledMessages { get; private set; }

    /// <summary>Opens a session to the host's /wt (trusting its development certificate by hash) and the message stream.</summary>
    public static async Task<WebTransportTestClient> OpenAsync(EngineTestHost host, string? origin = null, string path = "/wt")
    {
        CertificateHashes hashes = host.Services.GetRequiredService<ServerCertificateSource>().DevelopmentHashes
            ?? throw new InvalidOperationException("The test host has no development certificate.");
        var uri = new Uri($"https://127.0.0.1:{host.BaseAddress.Port}{path}");
        WebTransportSession session = await WebTransportClient.ConnectAsync(uri, new WebTransportClientOptions
        {
            ServerCertificateHashes = [Convert.FromHexString(hashes.Sha256)],
            Origin = origin,
        });
        QuicStream stream = await session.OpenBidirectionalStreamAsync();
        return new WebTransportTestClient(session, stream);
    }

    /// <summary>Opens a session and completes hello.</summary>
    public static async Task<WebTransportTestClient> ConnectAsync(EngineTestHost host, string? resumeToken = null, long lastSequence = 0)
    {
        WebTransportTestClient client = await OpenAsync(host);
        await client.HelloAsync(resumeToken, lastSequence);
        return client;
    }

    public override async Task SendRawAsync(byte[] bytes)
    {
        byte[] framed = new byte[4 + bytes.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(framed, (uint)bytes.Length);
        bytes.CopyTo(framed, 4);
        await SendFramedAsync(framed);
    }

    /// <summary>Writes raw bytes on the message stream (to test framing errors).</summary>
    public async Task SendFramedAsync(byte[] framed)
    {
        await _writeLock.WaitAsync();
        try
        {
            using var cts = new CancellationTokenSource(Timeout);
            await Stream.WriteAsync(framed, cts.Token);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends a message as a whole-message datagram (kind 0).</summary>
    public bool SendDatagram<T>(T message)
        where T : class => Session.TrySendDatagram([MessageDatagrams.WholeKind, .. MessageCodec.ToArray(message)]);

    /// <summary>Ends the session abruptly from the client side (no close capsule reaches the server before the connection goes).</summary>
    public async Task AbortAsync() => await Session.DisposeAsync();

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await Session.CloseAsync(1000, "bye");
        }
        catch (QuicException)
        {
        }

        await Session.DisposeAsync();
        await Task.WhenAny(Task.WhenAll(_streamReader, _datagramReader), Task.Delay(TimeSpan.FromSeconds(5)));
        _writeLock.Dispose();
    }

    private async Task ReadStreamAsync()
    {
        byte[] header = new byte[4];
        try
        {
            while (true)
            {
                await Stream.ReadExactlyAsync(header);
                byte[] message = new byte[BinaryPrimitives.ReadUInt32LittleEndian(header)];
                await Stream.ReadExactlyAsync(message);
                await DeliverAsync(message);
            }
        }
        catch (Exception exception) when (exception is QuicException or EndOfStreamException or IOException or ObjectDisposedException)
        {
            await WaitForCloseInfoAsync();
            CloseCode ??= (int?)Session.CloseInfo?.Code;
            CloseDescription ??= Session.CloseInfo?.Reason ?? exception.Message;
        }
        finally
        {
            Complete();
        }
    }

    /// <summary>The stream may end a moment before the session's close capsule is processed.</summary>
    private async Task WaitForCloseInfoAsync()
    {
        for (int i = 0; i < 100 && Session.CloseInfo is null; i++)
        {
            await Task.Delay(20);
        }
    }

    private async Task ReadDatagramsAsync()
    {
        byte[] buffer = new byte[65_536];
        try
        {
            while (true)
            {
                int length = await Session.ReceiveDatagramAsync(buffer);
                if (Reassemble(buffer.AsSpan(0, length)) is { } message)
                {
                    DatagramMessages++;
                    await DeliverAsync(message);
                }
            }
        }
        catch (Exception exception) when (exception is QuicException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private byte[]? Reassemble(ReadOnlySpan<byte> datagram)
    {
        if (MessageDatagrams.TryReadWhole(datagram, out ReadOnlySpan<byte> whole))
        {
            return whole.ToArray();
        }

        if (!MessageDatagrams.TryReadFragment(datagram, out ushort id, out int index, out int count, out ReadOnlySpan<byte> slice))
        {
            return null;
        }

        if (!_partial.TryGetValue(id, out byte[]?[]? parts) || parts.Length != count)
        {
            if (_partial.Count >= 4)
            {
                _partial.Remove(_partial.Keys.First());
            }

            parts = new byte[count][];
            _partial[id] = parts;
        }

        parts[index] = slice.ToArray();
        if (parts.Any(p => p is null))
        {
            return null;
        }

        _partial.Remove(id);
        ReassembledMessages++;
        return [.. parts.SelectMany(p => p!)];
    }
}
