namespace Engine.Tests.Protocol;

/// <summary>The browser client's pure logic, run under Node against the real module.</summary>
public class BrowserClientLogicTests
{
    [Fact]
    public async Task BackoffDelay_FullJitter_UniformUpToBaseTimesTwoToTheAttemptCappedAtTenSeconds()
    {
        string client = NodeScript.SampleModule("client.js");
        string script = $$"""
            import { backoffDelay, BackoffBaseMs, BackoffCapMs } from '{{client}}';
            import assert from 'node:assert/strict';
            assert.equal(BackoffBaseMs, 500);
            assert.equal(BackoffCapMs, 10000);
            const top = () => 1 - Number.EPSILON;
            assert.equal(backoffDelay(0, () => 0), 0);
            assert.ok(Math.abs(backoffDelay(0, top) - 500) < 1e-6);
            assert.ok(Math.abs(backoffDelay(3, top) - 4000) < 1e-6);
            assert.ok(Math.abs(backoffDelay(5, top) - 10000) < 1e-6);
            assert.ok(Math.abs(backoffDelay(40, top) - 10000) < 1e-6);
            assert.equal(backoffDelay(4, () => 0.5), 4000);
            const samples = Array.from({ length: 20000 }, () => backoffDelay(2));
            assert.ok(Math.min(...samples) >= 0 && Math.max(...samples) < 2000);
            const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
            assert.ok(Math.abs(mean - 1000) < 50, `mean ${mean}`);
            console.log('ok');
            """;

        Assert.Equal("ok", (await NodeScript.RunAsync(script)).Trim());
    }

    [Fact]
    public async Task SendInput_RedundancyOption_BatchHoldsThatManyNewestInputsAndOutOfRangeThrows()
    {
        string client = NodeScript.SampleModule("client.js");
        string script = $$"""
            import { EngineClient, InputRedundancy } from '{{client}}';
            import assert from 'node:assert/strict';
            assert.equal(InputRedundancy, 3);
            const make = (inputRedundancy) => new EngineClient({ baseUrl: 'https://example.test', room: 'r', name: 'n', inputRedundancy });
            const five = make(5);
            for (let i = 0; i < 7; i++) five.sendInput(Uint8Array.of(i));
            assert.deepEqual(five.recentInputs.map((e) => e.sequence), [3, 4, 5, 6, 7]);
            const byDefault = new EngineClient({ baseUrl: 'https://example.test', room: 'r', name: 'n' });
            for (let i = 0; i < 4; i++) byDefault.sendInput(Uint8Array.of(i));
            assert.deepEqual(byDefault.recentInputs.map((e) => e.sequence), [2, 3, 4]);
            for (const bad of [0, 9, 2.5, '3']) assert.throws(() => make(bad), RangeError);
            console.log('ok');
            """;

        Assert.Equal("ok", (await NodeScript.RunAsync(script)).Trim());
    }
}
