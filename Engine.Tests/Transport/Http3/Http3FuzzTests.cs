using Engine.Transport.Http3;

namespace Engine.Tests.Transport.Http3;

public class Http3FuzzTests
{
    private const int Iterations = 10_000;

    private static byte[] RandomInput(Random random, int i)
    {
        var bytes = new byte[random.Next(0, 200)];
        random.NextBytes(bytes);

        // Bias half the inputs towards small frame types and short lengths so parsers go deep.
        if (bytes.Length >= 2 && (i & 1) == 0)
        {
            bytes[0] = (byte)random.Next(0, 0x0e);
            bytes[1] = (byte)random.Next(0, Math.Min(64, bytes.Length));
        }

        return bytes;
    }

    [Fact]
    public void FrameCodecs_RandomInputs_NeverThrowAndConsumeWithinInput()
    {
        var random = new Random(9114);
        int done = 0;
        for (int i = 0; i < Iterations; i++)
        {
            byte[] input = RandomInput(random, i);
            int consumed;
            if (Http3FrameReader.TryReadFrame(input, 100, out _, out ReadOnlySpan<byte> payload, out consumed, out _) == Http3ReadStatus.Done)
            {
                Assert.InRange(consumed, payload.Length, input.Length);
                done++;
            }

            Http3SettingsFrame.TryRead(input, 100, out _, out consumed, out _);
            Assert.InRange(consumed, 0, input.Length);
            Http3Settings.TryParsePayload(input, out _);
            Http3GoAwayFrame.TryRead(input, out _, out consumed, out _);
            Assert.InRange(consumed, 0, input.Length);
            Http3MaxPushIdFrame.TryRead(input, out _, out _, out _);
            Http3CancelPushFrame.TryRead(input, out _, out _, out _);
            Http3DataFrame.TryRead(input, out _, out _, out _);
            Http3HeadersFrame.TryReadFieldSection(input, 100, out _, out _, out _);
            Http3StreamTypes.TryRead(input, out _, out _);
        }

        Assert.InRange(done, 1, Iterations);
    }

    [Fact]
    public void ControlStreamReader_RandomStreamsInRandomChunks_NeverThrow()
    {
        var random = new Random(9204);
        byte[] settings = Http3Settings.BuildServerSettingsFrame(1000, random);
        int healthy = 0;
        for (int i = 0; i < Iterations; i++)
        {
            // Half the streams start with a valid SETTINGS so the later rules get exercised.
            byte[] tail = RandomInput(random, i);
            byte[] stream = (i & 2) == 0 ? H3Assert.Concat(settings, tail) : tail;
            var reader = new Http3ControlStreamReader(peerIsClient: (i & 4) == 0, maxBufferedPayload: 64);
            int position = 0;
            Http3ErrorCode error = Http3ErrorCode.NoError;
            while (position < stream.Length)
            {
                int chunk = random.Next(1, 20);
                chunk = Math.Min(chunk, stream.Length - position);
                error = reader.Feed(stream.AsSpan(position, chunk));
                position += chunk;
            }

            Assert.Equal(error, reader.Error);
            if (error == Http3ErrorCode.NoError)
            {
                healthy++;
            }
        }

        Assert.InRange(healthy, 1, Iterations - 1);
    }
}
