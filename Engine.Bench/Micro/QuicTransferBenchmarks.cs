using System.Buffers.Binary;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Crypto;

namespace Engine.Bench.Micro;

/// <summary>
/// Bulk transfer through the whole managed QUIC stack: 10 MiB on one new unidirectional stream of
/// an established connection (handshaken once in [GlobalSetup]; default transport options:
/// 1200-byte datagrams, 1 MiB connection / 256 KiB stream windows, NewReno) over a lossless
/// in-memory link (<see cref="InMemoryQuicPair"/>, 1 ms one way, virtual clock). The client keeps
/// writing as WriteStream accepts bytes; the server reads every StreamReadable into a 64 KiB
/// buffer. An operation ends when the server has read all 10 MiB and the FIN and the client has
/// seen every byte acknowledged (StreamFinished), so nothing is left in flight for the next one.
/// Baseline: protect + unprotect of ceil(10 MiB / 1150) full 1200-byte 1-RTT packets with
/// <see cref="PacketProtection"/> directly — the AEAD and header-protection floor for the same
/// bytes (≈1150 bytes of stream data fit a 1200-byte packet). The ratio is what framing,
/// acknowledgements, recovery, flow control, buffering and copies cost on top of the crypto.
/// </summary>
public class QuicTransferBenchmarks
{
    private const int TransferLength = 10 * 1024 * 1024;
    private const int StreamBytesPerPacket = 1150;
    private const int PacketCount = (TransferLength + StreamBytesPerPacket - 1) / StreamBytesPerPacket;
    private const int PacketNumberOffset = 9;
    private const int HeaderLength = 13;
    private const int PayloadLength = 1200 - HeaderLength - 16;

    private readonly byte[] _source = new byte[TransferLength];
    private readonly byte[] _readBuffer = new byte[65536];
    private readonly byte[] _packet = new byte[1200];
    private readonly byte[] _header = new byte[HeaderLength];
    private X509Certificate2 _certificate = null!;
    private InMemoryQuicPair _pair = null!;
    private Func<bool> _transferDone = null!;
    private PacketProtection _sender = null!;
    private PacketProtection _receiver = null!;
    private long _packetNumber;

    private long _streamId;
    private int _written;
    private long _read;
    private bool _readFinished;
    private bool _sendFinished;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_source);
        _certificate = InMemoryQuicPair.CreateCertificate();
        _pair = new InMemoryQuicPair(_certificate, TimeSpan.FromMilliseconds(1));
        _pair.ConnectAndHandshake();
        _pair.AfterStep = PumpApplication;
        _transferDone = () => _readFinished && _sendFinished;

        byte[] secret = new byte[32];
        new Random(2).NextBytes(secret);
        _sender = PacketProtection.FromSecret(QuicCipherSuite.Aes128GcmSha256, secret);
        _receiver = PacketProtection.FromSecret(QuicCipherSuite.Aes128GcmSha256, secret);
        new Random(3).NextBytes(_packet);
        _header[0] = 0x43; // short header, 4-byte packet number
        _packet.AsSpan(1, 8).CopyTo(_header.AsSpan(1));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pair.Dispose();
        _certificate.Dispose();
        _sender.Dispose();
        _receiver.Dispose();
    }

    [Benchmark]
    public long Transfer10MegabytesOneStream()
    {
        QuicConnectionCore client = _pair.Client!;
        if (!client.TryOpenStream(bidirectional: false, out _streamId))
        {
            throw new InvalidOperationException("No stream credit.");
        }

        _written = 0;
        _read = 0;
        _readFinished = false;
        _sendFinished = false;
        Write(client);
        if (!_pair.RunUntil(_transferDone, maxSteps: 1_000_000))
        {
            throw new InvalidOperationException($"Transfer stalled: {_written} written, {_read} read, fin read {_readFinished}, all acked {_sendFinished}.");
        }

        if (_read != TransferLength)
        {
            throw new InvalidOperationException($"Read {_read} bytes, expected {TransferLength}.");
        }

        return _read;
    }

    [Benchmark(Baseline = true)]
    public int ProtectUnprotectSamePackets()
    {
        int authenticated = 0;
        for (int i = 0; i < PacketCount; i++)
        {
            long packetNumber = ++_packetNumber;
            _header.CopyTo(_packet, 0);
            BinaryPrimitives.WriteUInt32BigEndian(_packet.AsSpan(PacketNumberOffset), (uint)packetNumber);
            _sender.Protect(_packet, PacketNumberOffset, PayloadLength, packetNumber);
            if (_receiver.TryUnprotect(_packet, PacketNumberOffset, packetNumber - 1, out _))
            {
                authenticated++;
            }
        }

        return authenticated;
    }

    private void PumpApplication()
    {
        QuicConnectionCore client = _pair.Client!;
        QuicConnectionCore server = _pair.Server!;
        while (client.TryPollEvent(out QuicConnectionEvent clientEvent))
        {
            if (clientEvent.Kind == QuicConnectionEventKind.StreamFinished && clientEvent.StreamId == _streamId)
            {
                _sendFinished = true;
            }
        }

        while (server.TryPollEvent(out QuicConnectionEvent serverEvent))
        {
            if (serverEvent.Kind is QuicConnectionEventKind.StreamOpened or QuicConnectionEventKind.StreamReadable
                && serverEvent.StreamId == _streamId && !_readFinished)
            {
                ReadAll(server);
            }
        }

        Write(client);
    }

    private void Write(QuicConnectionCore client)
    {
        if (_written < TransferLength)
        {
            _written += client.WriteStream(_streamId, _source.AsSpan(_written), fin: true);
        }
    }

    private void ReadAll(QuicConnectionCore server)
    {
        while (true)
        {
            int read = server.ReadStream(_streamId, _readBuffer, out bool fin);
            _read += read;
            if (fin)
            {
                _readFinished = true;
                return;
            }

            if (read == 0)
            {
                return;
            }
        }
    }
}
