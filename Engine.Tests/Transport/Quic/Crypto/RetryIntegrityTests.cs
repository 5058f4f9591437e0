using Engine.Transport.Quic.Crypto;
using static Engine.Tests.Transport.Quic.Crypto.Rfc9001Vectors;

namespace Engine.Tests.Transport.Quic.Crypto;

public class RetryIntegrityTests
{
    [Fact]
    public void ComputeTag_Rfc9001Retry_MatchesAppendixA4Tag()
    {
        byte[] retry = Bytes(RetryPacket);
        byte[] tag = new byte[RetryIntegrity.TagLength];

        RetryIntegrity.ComputeTag(Bytes(DestinationConnectionId), retry.AsSpan(..^16), tag);

        Assert.Equal(retry[^16..], tag);
    }

    [Fact]
    public void Verify_Rfc9001Retry_ReturnsTrue()
    {
        Assert.True(RetryIntegrity.Verify(Bytes(DestinationConnectionId), Bytes(RetryPacket)));
    }

    [Fact]
    public void Verify_AnySingleBitFlipped_ReturnsFalse()
    {
        byte[] original = Bytes(RetryPacket);
        byte[] odcid = Bytes(DestinationConnectionId);
        for (int bit = 0; bit < original.Length * 8; bit++)
        {
            byte[] retry = (byte[])original.Clone();
            retry[bit / 8] ^= (byte)(1 << (bit % 8));

            Assert.False(RetryIntegrity.Verify(odcid, retry), $"bit {bit} flipped still verified");
        }
    }

    [Fact]
    public void Verify_OtherOriginalConnectionId_ReturnsFalse()
    {
        byte[] odcid = Bytes(DestinationConnectionId);
        odcid[^1] ^= 1;

        Assert.False(RetryIntegrity.Verify(odcid, Bytes(RetryPacket)));
    }

    [Fact]
    public void Verify_ShorterThanTag_ReturnsFalse()
    {
        Assert.False(RetryIntegrity.Verify(Bytes(DestinationConnectionId), new byte[15]));
    }

    [Fact]
    public void ComputeTag_RetryLargerThanStackBuffer_MatchesVerify()
    {
        byte[] retry = new byte[1200];
        retry[0] = 0xf0;
        Random.Shared.NextBytes(retry.AsSpan(1, 1000));
        byte[] odcid = [1, 2, 3, 4, 5, 6, 7, 8];

        RetryIntegrity.ComputeTag(odcid, retry.AsSpan(..^16), retry.AsSpan(^16..));

        Assert.True(RetryIntegrity.Verify(odcid, retry));
    }
}
