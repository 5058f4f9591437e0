using Engine.Transport.Http3.QPack;

namespace Engine.Tests.Transport.Http3.QPack;

public class QPackStreamReaderTests
{
    [Fact]
    public void EncoderStream_SetCapacityZero_IsAccepted()
    {
        var reader = new QPackEncoderStreamReader();
        Assert.Equal(QPackStatus.Success, reader.Read([0x20, 0x20]));
        Assert.Equal(QPackStatus.Success, reader.Status);
    }

    [Fact]
    public void EncoderStream_SetCapacity100_IsEncoderStreamError()
    {
        // 001 prefix, 5-bit integer: 31 + 69 = 100.
        var reader = new QPackEncoderStreamReader();
        QPackStatus status = reader.Read([0x3f, 0x45]);
        Assert.Equal(QPackStatus.EncoderStreamError, status);
        Assert.True(status.TryGetErrorCode(out QPackErrorCode code));
        Assert.Equal(0x201UL, (ulong)code);
    }

    [Theory]
    [InlineData("c0" + "0161", "insert with static name reference")]
    [InlineData("80" + "0161", "insert with dynamic name reference")]
    [InlineData("41" + "61" + "0162", "insert with literal name")]
    [InlineData("00", "duplicate")]
    [InlineData("20" + "00", "capacity 0 then duplicate")]
    public void EncoderStream_InsertOrDuplicate_IsEncoderStreamError(string hex, string why)
    {
        var reader = new QPackEncoderStreamReader();
        Assert.True(reader.Read(Convert.FromHexString(hex)) == QPackStatus.EncoderStreamError, why);
    }

    [Fact]
    public void EncoderStream_CapacitySplitAcrossCalls_IsJudgedWhenComplete()
    {
        // A valid zero in separate calls, then 100 (0x3f 0x45) spread over three calls with a padded continuation.
        var accepted = new QPackEncoderStreamReader();
        Assert.Equal(QPackStatus.Success, accepted.Read([0x20]));
        Assert.Equal(QPackStatus.Success, accepted.Read([]));
        Assert.Equal(QPackStatus.Success, accepted.Read([0x20]));

        var rejected = new QPackEncoderStreamReader();
        Assert.Equal(QPackStatus.Success, rejected.Read([0x3f]));
        Assert.Equal(QPackStatus.Success, rejected.Read([0x80 | 0x45]));
        Assert.Equal(QPackStatus.EncoderStreamError, rejected.Read([0x00]));
        Assert.Equal(QPackStatus.EncoderStreamError, rejected.Read([0x20])); // sticky
    }

    [Fact]
    public void EncoderStream_OverlongIntegerSplitAcrossCalls_IsErrorWithoutOverrun()
    {
        var reader = new QPackEncoderStreamReader();
        Assert.Equal(QPackStatus.Success, reader.Read([0x3f]));
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(QPackStatus.Success, reader.Read([0x80]));
        }

        Assert.Equal(QPackStatus.EncoderStreamError, reader.Read([0x80, 0x80, 0x80]));
    }

    [Fact]
    public void DecoderStream_StreamCancellation_IsAcceptedAcrossSplits()
    {
        // Stream Cancellation for stream 4, then for stream 1000 (63 + 937: 0x7f 0xa9 0x07) split mid-integer.
        var reader = new QPackDecoderStreamReader();
        Assert.Equal(QPackStatus.Success, reader.Read([0x44, 0x7f]));
        Assert.Equal(QPackStatus.Success, reader.Read([0xa9]));
        Assert.Equal(1, reader.StreamCancellationCount);
        Assert.Equal(QPackStatus.Success, reader.Read([0x07, 0x40]));
        Assert.Equal(3, reader.StreamCancellationCount);
    }

    [Theory]
    [InlineData("00", "insert count increment of 0")]
    [InlineData("01", "insert count increment beyond anything we inserted")]
    [InlineData("84", "section acknowledgment: we never send a non-zero Required Insert Count")]
    [InlineData("44" + "01", "valid cancellation then an increment")]
    public void DecoderStream_IncrementOrAcknowledgment_IsDecoderStreamError(string hex, string why)
    {
        var reader = new QPackDecoderStreamReader();
        QPackStatus status = reader.Read(Convert.FromHexString(hex));
        Assert.True(status == QPackStatus.DecoderStreamError, why);
        Assert.True(status.TryGetErrorCode(out QPackErrorCode code));
        Assert.Equal(0x202UL, (ulong)code);
    }

    [Fact]
    public void Readers_RandomChunks_NeverThrow()
    {
        var random = new Random(7541);
        for (int i = 0; i < 2000; i++)
        {
            var encoderStream = new QPackEncoderStreamReader();
            var decoderStream = new QPackDecoderStreamReader();
            for (int chunk = 0; chunk < 4; chunk++)
            {
                byte[] data = new byte[random.Next(0, 8)];
                random.NextBytes(data);
                encoderStream.Read(data);
                decoderStream.Read(data);
            }
        }
    }
}
