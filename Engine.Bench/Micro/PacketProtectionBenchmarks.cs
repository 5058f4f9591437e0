using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Engine.Transport.Quic.Crypto;

namespace Engine.Bench.Micro;

/// <summary>
/// QUIC packet protection of a full-size 1-RTT packet (1200 bytes: 13-byte short header with an
/// 8-byte DCID and 4-byte packet number, 1171 bytes of frames, 16-byte tag), AES-128-GCM.
/// Baseline: the bare AES-GCM seal of the same bytes, so the ratio shows what header
/// protection and the nonce add. The two HeaderMask rows compare the ways .NET offers to
/// encrypt the single AES-ECB block of a header protection mask.
/// </summary>
public class PacketProtectionBenchmarks
{
    private const int PacketNumberOffset = 9;
    private const int HeaderLength = 13;
    private const int PayloadLength = 1200 - HeaderLength - 16;
    private const int SampleOffset = PacketNumberOffset + 4;

    private readonly byte[] _packet = new byte[1200];
    private readonly byte[] _header = new byte[HeaderLength];
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _mask = new byte[16];
    private PacketProtection _sender = null!;
    private PacketProtection _receiver = null!;
    private AesGcm _bareAead = null!;
    private Aes _ecb = null!;
    private ICryptoTransform _ecbEncryptor = null!;
    private long _packetNumber;

    [GlobalSetup]
    public void Setup()
    {
        byte[] secret = new byte[32];
        new Random(1).NextBytes(secret);
        _sender = PacketProtection.FromSecret(QuicCipherSuite.Aes128GcmSha256, secret);
        _receiver = PacketProtection.FromSecret(QuicCipherSuite.Aes128GcmSha256, secret);
        _bareAead = new AesGcm(secret.AsSpan(0, 16), 16);
        _ecb = Aes.Create();
        _ecb.Key = secret[16..];
        _ecb.Mode = CipherMode.ECB;
        _ecb.Padding = PaddingMode.None;
        _ecbEncryptor = _ecb.CreateEncryptor();
        new Random(2).NextBytes(_packet);
        _header[0] = 0x43; // short header, 4-byte packet number
        _packet.AsSpan(1, 8).CopyTo(_header.AsSpan(1));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.Dispose();
        _receiver.Dispose();
        _bareAead.Dispose();
        _ecbEncryptor.Dispose();
        _ecb.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void BareAesGcmSeal()
    {
        Span<byte> packet = _packet;
        Span<byte> payload = packet.Slice(HeaderLength, PayloadLength);
        _bareAead.Encrypt(_nonce, payload, payload, packet[^16..], packet[..HeaderLength]);
    }

    /// <summary>Aes.EncryptEcb over spans: what HeaderProtection avoids.</summary>
    [Benchmark]
    public int HeaderMaskEcbOneShot() => _ecb.EncryptEcb(_packet.AsSpan(SampleOffset, 16), _mask, PaddingMode.None);

    /// <summary>A kept ECB ICryptoTransform: what HeaderProtection uses.</summary>
    [Benchmark]
    public int HeaderMaskTransformBlock() => _ecbEncryptor.TransformBlock(_packet, SampleOffset, 16, _mask, 0);

    [Benchmark]
    public int Protect()
    {
        // Header protection masked the first byte and packet number last time: rewrite them.
        WriteHeader(++_packetNumber);
        return _sender.Protect(_packet, PacketNumberOffset, PayloadLength, _packetNumber);
    }

    [Benchmark]
    public bool ProtectAndUnprotect()
    {
        long packetNumber = ++_packetNumber;
        WriteHeader(packetNumber);
        _sender.Protect(_packet, PacketNumberOffset, PayloadLength, packetNumber);
        return _receiver.TryUnprotect(_packet, PacketNumberOffset, packetNumber - 1, out _);
    }

    private void WriteHeader(long packetNumber)
    {
        _header.CopyTo(_packet, 0);
        BinaryPrimitives.WriteUInt32BigEndian(_packet.AsSpan(PacketNumberOffset), (uint)packetNumber);
    }
}
