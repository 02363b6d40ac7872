using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Metrics;
using SegaLearn.Optimizers;
using SegaLearn.Serialization;

namespace SegaLearn.Core.Tests.Network;

/// <summary>
/// The regression losses against the original's golden values and hand computation, the regression network end to
/// end through the API, and the regression metrics.
/// </summary>
public sealed class RegressionTests
{
    private static readonly System.Text.Json.JsonElement Golden = GoldenFiles.Load("functions.json").GetProperty("losses").GetProperty("regression");

    // golden: y_true [1, 2, 3, -1], y_pred [1.5, 2.5, 5, -1.2], so e = [0.5, 0.5, 2, -0.2].
    private static readonly float[] Truth = [.. GoldenFiles.Vector(Golden.GetProperty("y_true")).Select(v => (float)v)];
    private static readonly float[] Predicted = [.. GoldenFiles.Vector(Golden.GetProperty("y_pred")).Select(v => (float)v)];

    [Theory]
    [InlineData("mse", "mse")]
    [InlineData("mae", "mae")]
    [InlineData("huber", "huber_delta1")]
    public void Regression_loss_should_match_the_original_golden_value_as_a_mean_over_rows_and_over_outputs(string loss, string key)
    {
        var expected = Golden.GetProperty(key).GetDouble();
        var kind = NetworkArchitecture.ParseLoss(loss);

        // Four rows of one output, and one row of four outputs: both are np.mean over the four values.
        var perRow = RegressionLoss.Compute(kind, 1.0, Predicted, Truth, new float[4], outputs: 1);
        var perOutput = RegressionLoss.Compute(kind, 1.0, Predicted, Truth, new float[4], outputs: 4);

        Assert.Equal(expected, perRow / 4, 6);
        Assert.Equal(expected, perOutput, 6);
    }

    [Theory]
    [InlineData("mse")]
    [InlineData("mae")]
    [InlineData("huber")]
    public void CalculateLoss_should_give_the_golden_value_for_a_network_that_outputs_its_input(string loss)
    {
        // One linear unit with weight 1 and bias 0 predicts its input; reg_lambda 0 leaves the data loss alone.
        var network = new NeuralNetwork(new NetworkArchitecture([1, 1], loss: NetworkArchitecture.ParseLoss(loss)), [1f, 0f], regLambda: 0, backend: new ReferenceBackend());
        var key = loss == "huber" ? "huber_delta1" : loss;
        Assert.Equal(Golden.GetProperty(key).GetDouble(), network.CalculateLoss(new DenseFeatures(Predicted, 4, 1), Truth), 6);
        Assert.Equal(Predicted, network.PredictValues(new DenseFeatures(Predicted, 4, 1)).Cast<float>());
    }

    [Theory]
    [InlineData("mse", 1.0, 1.135, new[] { 1.0, 1.0, 4.0, -0.4 })]
    [InlineData("mae", 1.0, 0.8, new[] { 1.0, 1.0, 1.0, -1.0 })]
    [InlineData("huber", 1.0, 0.4425, new[] { 0.5, 0.5, 1.0, -0.2 })]
    [InlineData("huber", 0.3, 0.19625, new[] { 0.3, 0.3, 0.3, -0.2 })]
    public void Regression_loss_should_give_hand_computed_values_and_gradients(string loss, double delta, double mean, double[] gradient)
    {
        // e = [0.5, 0.5, 2, -0.2]. MSE: e² = .25,.25,4,.04, 2e. MAE: |e|, sign(e).
        // Huber δ=0.3: 0.3·(0.5-0.15) = .105 twice, 0.3·(2-0.15) = .555, ½·0.04 = .02; mean .19625; slopes δ·sign(e) or e.
        var computed = new float[4];
        var sum = RegressionLoss.Compute(NetworkArchitecture.ParseLoss(loss), delta, Predicted, Truth, computed, outputs: 1);

        Assert.Equal(mean, sum / 4, 6);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(gradient[i], computed[i], 6);
        }
    }

    [Fact]
    public void Mae_gradient_should_be_zero_where_the_prediction_is_exact()
    {
        var gradient = new float[2];
        RegressionLoss.Compute(LossKind.MeanAbsoluteError, 1.0, [2f, 3f], [2f, 1f], gradient, outputs: 2);
        Assert.Equal([0f, 0.5f], gradient);
    }

    [Fact]
    public void RegressionReport_should_match_hand_computed_mse_mae_and_r2()
    {
        // ȳ = 1.25; Σ(y-ȳ)² = .0625 + .5625 + 3.0625 + 5.0625 = 8.75; Σe² = 4.54.
        var report = RegressionReport.Compute(Truth, Predicted);
        Assert.Equal(1.135, report.MeanSquaredError, 6);
        Assert.Equal(0.8, report.MeanAbsoluteError, 6);
        Assert.Equal(1 - (4.54 / 8.75), report.R2, 6);

        // Two outputs: R² is the mean of the outputs' R² (1 for the exact one, 1 - 4.54/8.75 for the other).
        float[] truth2 = [.. Truth.SelectMany(t => new[] { t, t })];
        float[] predicted2 = [.. Truth.Zip(Predicted).SelectMany(p => new[] { p.First, p.Second })];
        Assert.Equal((1 + 1 - (4.54 / 8.75)) / 2, RegressionReport.Compute(truth2, predicted2, 2).R2, 6);
        Assert.Equal(0, RegressionReport.Compute([2f, 2f], [2f, 3f]).R2);
        Assert.Equal(1, RegressionReport.Compute([2f, 2f], [2f, 2f]).R2);
    }

    [Fact]
    public void Network_should_fit_a_smooth_function_to_r2_above_0_9()
    {
        var (x, y) = Smooth(1500, seed: 3);
        var (xTest, yTest) = Smooth(500, seed: 4);
        var network = new NeuralNetwork([3, 32, 1], dropoutRate: 0, regLambda: 0.0001, loss: LossKind.MeanSquaredError, seed: 5);
        Assert.Equal(Activation.Linear, network.Architecture.Activations[^1]);

        var history = network.Train(x, y, new AdamOptimizer(learningRate: 0.01), epochs: 40, batchSize: 32);
        var (report, predictions) = network.EvaluateRegression(xTest, yTest);

        Assert.True(report.R2 >= 0.9, $"R² {report.R2}");
        Assert.Equal(500, predictions.GetLength(0));
        Assert.All(history.Epochs, e => Assert.Null(e.TrainAccuracy));
    }

    [Fact]
    public void Train_should_refuse_class_labels_for_a_regression_model_and_values_for_a_classifier()
    {
        var x = new DenseFeatures(new float[6], 3, 2);
        var regressor = new NeuralNetwork([2, 1], loss: LossKind.Huber, seed: 1);
        var classifier = new NeuralNetwork([2, 2], seed: 1);

        Assert.Contains("needs values (float)", Assert.Throws<BadInputException>(() => regressor.Train(x, new[] { 0, 1, 0 }, epochs: 1)).Message, StringComparison.Ordinal);
        Assert.Contains("needs class indices (int)", Assert.Throws<BadInputException>(() => classifier.Train(x, new[] { 0f, 1f, 0f }, epochs: 1)).Message, StringComparison.Ordinal);
        Assert.Contains("value NaN at row 2", Assert.Throws<BadInputException>(() => regressor.Train(x, new[] { 0f, float.NaN, 0f }, epochs: 1)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => regressor.Predict(x));
        Assert.Throws<InvalidOperationException>(() => classifier.PredictValues(x));
    }

    [Fact]
    public void Architecture_should_default_to_a_linear_output_and_refuse_a_huber_delta_that_is_not_positive()
    {
        var architecture = new NetworkArchitecture([4, 8, 2], loss: LossKind.MeanAbsoluteError);
        Assert.Equal([Activation.ReLU, Activation.Linear], architecture.Activations);
        Assert.True(architecture.IsRegression);
        Assert.Equal(0, architecture.ClassCount);
        Assert.False(architecture.OutputIsFusedWithLoss);

        var error = Assert.Throws<BadInputException>(() => new NetworkArchitecture([4, 1], loss: LossKind.Huber, huberDelta: 0));
        Assert.StartsWith("huberDelta must be a finite number > 0, got 0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LossKind.MeanSquaredError, 1.0, "mse")]
    [InlineData(LossKind.MeanAbsoluteError, 1.0, "mae")]
    [InlineData(LossKind.Huber, 1.0, "huber")]
    [InlineData(LossKind.Huber, 0.1, "huber:0.1")]
    public void Model_file_should_record_the_loss_and_huber_delta_and_load_them_back(LossKind loss, double delta, string text)
    {
        var architecture = new NetworkArchitecture([3, 4, 1], loss: loss, huberDelta: delta);
        var network = new NeuralNetwork(architecture, null, seed: 2);
        var path = Path.Combine(Path.GetTempPath(), $"regression-{Guid.NewGuid():N}.safetensors");
        try
        {
            ModelFile.Save(path, architecture, network.Parameters);
            var loaded = ModelFile.Load(path);
            Assert.Equal(text, loaded.Metadata["loss"]);
            Assert.Equal(architecture, loaded.Architecture);
            Assert.Equal(delta, loaded.Architecture.HuberDelta);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Training_set_blob_should_round_trip_regression_targets_bit_for_bit()
    {
        var (x, y) = Smooth(20, seed: 9);
        var blob = TrainingSetBlob.Encode(x, y, 0);
        var decoded = TrainingSetBlob.Decode(blob, "blob");

        Assert.True(decoded.IsRegression);
        Assert.Equal(y, decoded.Targets.Values);
        Assert.Equal(blob, TrainingSetBlob.Encode(decoded.Features, decoded.Targets, 0));
        Assert.Equal(2, BitConverter.ToInt32(blob, 4));
    }

    /// <summary>y = sin(x1) + x2² + noise, x3 irrelevant.</summary>
    internal static (DenseFeatures X, float[] Y) Smooth(int rows, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        var x = new float[rows * 3];
        var y = new float[rows];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                x[i * 3 + j] = (float)(random.NextDouble() * 4 - 2);
            }

            y[i] = (float)(Math.Sin(x[i * 3]) + x[i * 3 + 1] * x[i * 3 + 1] + 0.05 * random.NextGaussian());
        }

        return (new DenseFeatures(x, rows, 3), y);
    }
}
