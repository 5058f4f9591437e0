using Engine.Transport.Quic.Crypto;

namespace Engine.Tests.Transport.Quic.Crypto;

/// <summary>Real Initial datagrams captured from Chromium 156 (shared/data/chromium-156).</summary>
public class ChromiumInitialTests
{
    [Theory]
    [InlineData("webtransport-initials.hex", "472775d44961c6c5")]
    [InlineData("h3-fetch-initials.hex", "352b7aa683358d47")]
    public void TryUnprotect_ChromiumInitialDatagrams_OpensPaddingPingAndCryptoFrames(string fileName, string expectedDcid)
    {
        string[] lines = File.ReadAllLines(Path.Combine(FixtureDirectory(), fileName))
            .Where(line => line.Length > 0)
            .ToArray();
        Assert.Equal(5, lines.Length);
        var packetNumbers = new List<long>();

        foreach (string line in lines)
        {
            byte[] datagram = Convert.FromHexString(line.Split(' ')[1]);
            Assert.Equal(1250, datagram.Length);
            InitialHeader header = InitialHeader.Parse(datagram);
            Assert.Equal(expectedDcid, Convert.ToHexStringLower(header.DestinationConnectionId));
            using PacketProtection client = InitialSecrets.CreateClientProtection(header.DestinationConnectionId);
            Span<byte> packet = datagram.AsSpan(0, header.PacketLength);

            Assert.True(client.TryUnprotect(packet, header.PacketNumberOffset, -1, out UnprotectedPacket result));

            Assert.Equal(0xc0, packet[0] & 0xf0); // long header, fixed bit, Initial
            Assert.Equal(0, packet[0] & 0x0c);    // reserved bits are zero once unmasked
            Assert.True(CarriesOnlyPaddingPingAndCrypto(packet.Slice(result.HeaderLength, result.PayloadLength)));
            packetNumbers.Add(result.PacketNumber);
        }

        Assert.Equal([1, 2, 4, 6, 8], packetNumbers);
    }

    /// <summary>Walks the frames: true when every frame is PADDING, PING or CRYPTO and one is CRYPTO.</summary>
    private static bool CarriesOnlyPaddingPingAndCrypto(ReadOnlySpan<byte> payload)
    {
        bool sawCrypto = false;
        int at = 0;
        while (at < payload.Length)
        {
            byte type = payload[at++];
            switch (type)
            {
                case 0x00 or 0x01:
                    break;
                case 0x06:
                    _ = InitialHeader.ReadVarint(payload, ref at); // offset
                    long length = InitialHeader.ReadVarint(payload, ref at);
                    at += checked((int)length);
                    sawCrypto = true;
                    break;
                default:
                    return false;
            }
        }

        return sawCrypto && at == payload.Length;
    }

    /// <summary>
    /// Finds shared/data/chromium-156: walks up from the test binary until a directory holds
    /// shared/data (the repository's parent holds shared/, and CI keeps it beside the clone).
    /// </summary>
    private static string FixtureDirectory()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return Path.Combine(candidate, "chromium-156");
            }
        }

        Assert.Fail($"No shared/data directory above {AppContext.BaseDirectory}; the Chromium fixtures live in shared/data/chromium-156 beside the repository.");
        return string.Empty;
    }

    /// <summary>The few long-header fields these tests need (not the Wire parser).</summary>
    private readonly record struct InitialHeader(byte[] DestinationConnectionId, int PacketNumberOffset, int PacketLength)
    {
        public static InitialHeader Parse(ReadOnlySpan<byte> datagram)
        {
            int at = 5; // first byte, version
            int dcidLength = datagram[at++];
            byte[] dcid = datagram.Slice(at, dcidLength).ToArray();
            at += dcidLength;
            at += 1 + datagram[at]; // source connection ID
            int tokenLength = checked((int)ReadVarint(datagram, ref at));
            at += tokenLength;
            long length = ReadVarint(datagram, ref at);
            return new InitialHeader(dcid, at, at + checked((int)length));
        }

        public static long ReadVarint(ReadOnlySpan<byte> bytes, ref int at)
        {
            int size = 1 << (bytes[at] >> 6);
            long value = bytes[at] & 0x3f;
            for (int i = 1; i < size; i++)
            {
                value = (value << 8) | bytes[at + i];
            }

            at += size;
            return value;
        }
    }
}
