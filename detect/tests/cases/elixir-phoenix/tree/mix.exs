defp deps do
  [{:phoenix, "~> 1.7.0"}, {:ecto_sql, "~> 3.10"}]
end
