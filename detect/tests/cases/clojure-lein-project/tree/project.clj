(defproject hello "0.1.0-SNAPSHOT"
  :dependencies [[org.clojure/clojure "1.11.1"] [ring "1.10.0"]]
  :main ^:skip-aot hello.core
  :profiles {:uberjar {:aot :all}})
