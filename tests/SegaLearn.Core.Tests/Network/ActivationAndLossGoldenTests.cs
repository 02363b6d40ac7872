using System.Text.Json;
using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Network;

/// <summary>Activations, derivatives (taken at Z) and losses on edge cases against golden/functions.json.</summary>
public sealed class ActivationAndLossGoldenTests
{
    private static readonly JsonElement Golden = GoldenFiles.Load("functions.json");
    private static readonly ReferenceBackend Backend = new();

    public static TheoryData<string> Names => new() { "relu", "leaky_relu", "tanh", "sigmoid", "softmax" };

    [Theory]
    [MemberData(nameof(Names))]
    public void BiasActivation_should_match_the_original_activation(string name)
    {
        var (z, rows, cols) = Z();
        var output = new float[z.Length];
        Backend.BiasActivation(z, new float[cols], output, rows, cols, Activation.Parse(name));
        AssertClose(GoldenFiles.Matrix(Golden.GetProperty(name)).SelectMany(r => r).ToArray(), output, 1e-6);
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("leaky_relu")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    public void ActivationBackward_should_multiply_by_the_derivative_at_Z(string name)
    {
        var (z, rows, cols) = Z();
        var output = new float[z.Length];
        var activation = Activation.Parse(name);
        Backend.BiasActivation(z, new float[cols], output, rows, cols, activation);
        var gradient = Enumerable.Repeat(1f, z.Length).ToArray();
        Backend.ActivationBackward(z, output, gradient, rows, cols, activation);
        AssertClose(GoldenFiles.Matrix(Golden.GetProperty(name + "_derivative")).SelectMany(r => r).ToArray(), gradient, 2e-6);
    }

    [Theory]
    [InlineData("ce_extreme")]
    [InlineData("ce_wrong_extreme")]
    public void SoftmaxCrossEntropy_should_match_the_original_on_extreme_logits(string name)
    {
        var block = Golden.GetProperty("losses").GetProperty(name);
        var logits = GoldenFiles.Matrix(block.GetProperty("logits")).SelectMany(r => r).Select(v => (float)v).ToArray();
        var label = Array.IndexOf(GoldenFiles.Matrix(block.GetProperty("targets"))[0], 1.0);
        var loss = Backend.SoftmaxCrossEntropy(logits, [label], new float[2], new float[2], 1, 2);
        Assert.Equal(block.GetProperty("value").GetDouble(), loss, 1e-9);
    }

    [Theory]
    [InlineData("bce_extreme")]
    [InlineData("bce_wrong_extreme")]
    [InlineData("bce_wrong_40")]
    [InlineData("bce_small")]
    public void SigmoidBinaryCrossEntropy_should_match_the_original_where_it_is_finite(string name)
    {
        var block = Golden.GetProperty("losses").GetProperty(name);
        var logits = GoldenFiles.Vector(block.GetProperty("logits")).Select(v => (float)v).ToArray();
        var labels = GoldenFiles.Vector(block.GetProperty("targets")).Select(v => (int)v).ToArray();
        var n = logits.Length;
        var sum = Backend.SigmoidBinaryCrossEntropy(logits, labels, new float[n], new float[n], n);
        Assert.Equal(block.GetProperty("value").GetDouble(), sum / n, 1e-7);
    }

    private static (float[] Z, int Rows, int Cols) Z()
    {
        var z = GoldenFiles.Matrix(Golden.GetProperty("z"));
        return (z.SelectMany(r => r).Select(v => (float)v).ToArray(), z.Length, z[0].Length);
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
