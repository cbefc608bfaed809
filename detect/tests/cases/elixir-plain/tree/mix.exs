defp deps do
  [{:plug_cowboy, "~> 2.0"}]
end
